import { AmsCleanupError, AmsWorkflowError, resolveInputs, uploadEncrypted, type UploadResult } from '../workflows/index.js';
import type { LeafCommand } from './command.js';
import { CONNECTION_OPTIONS, connectionSettings, createClient } from './connection-options.js';
import { CommandFailure } from './errors.js';
import { describeFailure } from './failures.js';
import { writeLine, type CliIo } from './io.js';
import { createProgress, formatBytes, transferReporting } from './progress.js';
import { BLOCK_SIZE_OPTION, JSON_OPTION, PARALLEL_OPTION, transferShape } from './transfer-options.js';

/** `ams-client upload FILE...`: the whole storage-encryption upload, as the .NET SDK did it. */
export const uploadCommand: LeafCommand = {
  name: 'upload',
  summary: 'Upload files into a new storage-encrypted asset: encrypted here (AES-256-CTR) before they leave this machine.',
  details:
    'Creates a content key (wrapped to the service\'s protection certificate), an asset with Options 1\n' +
    '(StorageEncrypted), a file entity per FILE with its own random IV, and a temporary write locator;\n' +
    'uploads the encrypted blocks in parallel, records each file\'s size and MD5, and deletes the locator\n' +
    'and its access policy again, also when the upload fails or is interrupted (Ctrl-C).',
  positionals: { placeholder: 'FILE', description: 'files to upload; each becomes a file of the asset under its base name', min: 1 },
  options: [
    ...CONNECTION_OPTIONS,
    { name: 'name', type: 'string', placeholder: 'ASSET', description: 'the asset name (default: none)' },
    PARALLEL_OPTION,
    BLOCK_SIZE_OPTION,
    JSON_OPTION,
  ],
  async run(options, io) {
    const settings = connectionSettings(options, io.env);
    const shape = transferShape(options);
    const json = options.flag('json');
    const signal = io.signal;
    const call = signal ? { signal } : {};

    // Every file is checked before anything is created, so a typo costs no half-made asset.
    const inputs = await resolveInputs(options.positionals).catch((err: unknown) => {
      throw err instanceof AmsWorkflowError ? new CommandFailure(err.message) : err;
    });
    const totalBytes = inputs.reduce((sum, input) => sum + input.size, 0);
    const client = createClient(settings);
    const progress = createProgress(io.stderr, { verb: 'upload', totalBytes, quiet: json });
    const reporting = transferReporting(progress);
    const context = { action: 'upload', auth: settings.auth, signal, leftovers: reporting.leftovers };

    const assetName = options.optionalString('name');
    let result: UploadResult;
    try {
      await client.discoverBaseUri(call);
      result = await uploadEncrypted(client, options.positionals, {
        ...shape,
        ...(assetName !== undefined ? { assetName } : {}),
        ...call,
        ...reporting.callbacks,
      });
    } catch (err) {
      progress.end();
      if (err instanceof AmsCleanupError) {
        // The files are in; only the temporary access outlived the upload. Say both.
        const uploaded = err.result as UploadResult;
        await printResult(io, uploaded, json);
        throw new CommandFailure(`uploaded into asset ${uploaded.assetId}, but ${cleanupProblem(err)}`);
      }
      const failure = describeFailure(err, context);
      const createdAsset = reporting.asset();
      throw createdAsset === undefined ? failure : withCreatedAsset(failure, createdAsset);
    }
    progress.end();
    await printResult(io, result, json);
  },
};

/** The failure, and the asset it left behind: the upload keeps it (with its key and files) for inspection. */
export function withCreatedAsset(failure: Error, assetId: string): Error {
  if (!(failure instanceof CommandFailure)) return failure;
  return new CommandFailure(`${failure.message}; asset ${assetId} was created and keeps what was uploaded before that: delete it with 'ams-client rm ${assetId}'`, failure.exitCode);
}

function cleanupProblem(err: AmsCleanupError): string {
  const list = err.leftovers.map((l) => `${l.entitySet}('${l.id}')`).join(' and ');
  const why = err.errors.map((e) => (e instanceof Error ? e.message : String(e))).join('; ');
  return `deleting ${list} failed (${why}); delete ${err.leftovers.length === 1 ? 'it' : 'them'} by hand: a SAS locator stays usable until it expires`;
}

async function printResult(io: CliIo, result: UploadResult, json: boolean): Promise<void> {
  await printTransfer(io, result, json, (what) => `Uploaded ${what} into asset ${result.assetId}`, (f) => f.id);
}

/**
 * A transfer's result (upload, ingest): with `--json` one line of JSON, else `<heading>` (given
 * "N files (size)") and a line per file, its name, size and `tail`.
 */
export async function printTransfer<F extends { name: string; size: number }>(
  io: CliIo,
  result: { files: readonly F[] },
  json: boolean,
  heading: (what: string) => string,
  tail: (file: F) => string,
): Promise<void> {
  if (json) {
    await writeLine(io, JSON.stringify(result));
    return;
  }
  const total = result.files.reduce((sum, f) => sum + f.size, 0);
  const nameWidth = Math.max(...result.files.map((f) => f.name.length));
  const sizeWidth = Math.max(...result.files.map((f) => String(f.size).length));
  const lines = [
    heading(`${result.files.length} file${result.files.length === 1 ? '' : 's'} (${formatBytes(total)})`),
    ...result.files.map((f) => `  ${f.name.padEnd(nameWidth)}  ${String(f.size).padStart(sizeWidth)} bytes  ${tail(f)}`),
  ];
  await writeLine(io, lines.join('\n'));
}
