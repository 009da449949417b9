import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ingestEncrypted, type IngestResult } from '../workflows/index.js';
import type { LeafCommand } from './command.js';
import { CONNECTION_OPTIONS, connectionSettings, createClient, nonEmpty } from './connection-options.js';
import { CommandFailure, UsageError } from './errors.js';
import { describeFailure } from './failures.js';
import type { CliIo } from './io.js';
import { createProgress, transferReporting } from './progress.js';
import { BLOCK_SIZE_OPTION, JSON_OPTION, PARALLEL_OPTION, transferShape } from './transfer-options.js';
import { printTransfer, withCreatedAsset } from './upload.js';

/** Where the storage account's connection string comes from when the flag is not given. */
export const STORAGE_CONNECTION_ENV = 'AMS_STORAGE_CONNECTION_STRING';

/** `ams-client ingest FOLDER`: a storage-encrypted bulk ingest of a folder through an IngestManifest. */
export const ingestCommand: LeafCommand = {
  name: 'ingest',
  summary: 'Bulk-ingest a folder into a new storage-encrypted asset through an IngestManifest, and check every file arrived as sent.',
  details:
    'Creates a content key, an asset with Options 1 (StorageEncrypted), an IngestManifest with the asset and one\n' +
    'IngestManifestFile per file of FOLDER (its own random IV); uploads each file encrypted (AES-256-CTR) into the\n' +
    "manifest's upload container with the storage account's credentials, as the .NET SDK's bulk ingest did; waits\n" +
    'until the service has moved every upload into the asset; then reads each file back, decrypts it and compares\n' +
    'size and MD5 with what was sent. Only the files directly in FOLDER are sent (subfolders are not).\n' +
    'Prints the asset id and one line per file; exit status 1 when a file ended in Error, did not arrive in time,\n' +
    'or did not read back as sent. The manifest is left in place; the emulator prints the connection string at start.',
  positionals: { placeholder: 'FOLDER', description: 'the folder whose files to ingest', min: 1 },
  options: [
    ...CONNECTION_OPTIONS,
    {
      name: 'storage-connection-string',
      type: 'string',
      placeholder: 'CS',
      description: `the connection string of the account's storage, to write the upload container with (env ${STORAGE_CONNECTION_ENV})`,
    },
    { name: 'name', type: 'string', placeholder: 'ASSET', description: 'the asset name (default: none)' },
    { name: 'manifest-name', type: 'string', placeholder: 'NAME', description: 'the IngestManifest name (default: none)' },
    { name: 'timeout', type: 'string', placeholder: 'SECONDS', description: 'how long to wait for the service to move the uploads (default 600)' },
    { name: 'no-verify', type: 'boolean', description: 'do not read the files back to check them' },
    PARALLEL_OPTION,
    BLOCK_SIZE_OPTION,
    JSON_OPTION,
  ],
  async run(options, io) {
    if (options.positionals.length !== 1) throw new UsageError('ingest takes exactly one FOLDER');
    const settings = connectionSettings(options, io.env);
    const storageConnectionString = options.optionalString('storage-connection-string') ?? nonEmpty(io.env[STORAGE_CONNECTION_ENV]);
    if (storageConnectionString === undefined) {
      throw new UsageError(`missing --storage-connection-string CS (or set ${STORAGE_CONNECTION_ENV}): the upload container is written with the storage account's credentials`);
    }
    const timeout = options.optionalString('timeout');
    if (timeout !== undefined && !(/^\d{1,6}$/.test(timeout) && Number(timeout) >= 1)) throw new UsageError(`--timeout must be a whole number of seconds from 1, not ${JSON.stringify(timeout)}`);
    const shape = transferShape(options);
    const json = options.flag('json');
    const signal = io.signal;

    // The folder is read before anything is created, so a wrong path costs no half-made asset.
    const paths = await filesOf(options.positionals[0]!);
    const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
    const progress = createProgress(io.stderr, { verb: 'upload', totalBytes: sizes.reduce((a, b) => a + b, 0), quiet: json });
    const reporting = transferReporting(progress);
    const context = { action: 'ingest', auth: settings.auth, signal, leftovers: reporting.leftovers };
    const client = createClient(settings);
    const assetName = options.optionalString('name');
    const manifestName = options.optionalString('manifest-name');
    let result: IngestResult;
    try {
      await client.discoverBaseUri(signal ? { signal } : {});
      result = await ingestEncrypted(client, paths, {
        storageConnectionString,
        ...shape,
        ...(assetName !== undefined ? { assetName } : {}),
        ...(manifestName !== undefined ? { manifestName } : {}),
        ...(timeout !== undefined ? { timeoutMs: Number(timeout) * 1000 } : {}),
        verify: !options.flag('no-verify'),
        ...(signal ? { signal } : {}),
        ...reporting.callbacks,
      });
    } catch (err) {
      progress.end();
      const failure = describeFailure(err, context);
      const createdAsset = reporting.asset();
      throw createdAsset === undefined ? failure : withCreatedAsset(failure, createdAsset);
    }
    progress.end();
    await printResult(io, result, json);
    if (!result.ok) {
      const bad = result.files.filter((f) => f.state !== 'Finished' || f.verified === false);
      throw new CommandFailure(`${bad.length} of ${result.files.length} file${result.files.length === 1 ? '' : 's'} did not arrive as sent: ${bad.map((f) => `${f.name} (${f.problem ?? f.error ?? f.state})`).join(', ')}`);
    }
  },
};

/** The regular files directly in `folder`, by name; a folder with none is a failure. */
async function filesOf(folder: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such folder' : code === 'ENOTDIR' ? 'it is not a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    throw new CommandFailure(`cannot read the folder ${JSON.stringify(folder)}: ${why}`);
  }
  const files = entries.filter((e) => e.isFile()).map((e) => e.name).sort();
  if (files.length === 0) throw new CommandFailure(`the folder ${JSON.stringify(folder)} has no files to ingest`);
  return files.map((name) => join(folder, name));
}

function printResult(io: CliIo, result: IngestResult, json: boolean): Promise<void> {
  return printTransfer(io, result, json, (what) => `Ingested ${what} into asset ${result.assetId} through manifest ${result.manifestId}`, outcome);
}

function outcome(file: IngestResult['files'][number]): string {
  if (file.state === 'Error') return `Error: ${file.error ?? 'no ErrorDetail'}`;
  if (file.state === 'Pending') return 'Pending: never arrived';
  if (file.verified === true) return `Finished, verified (MD5 ${file.md5})`;
  if (file.verified === false) return `Finished, NOT as sent: ${file.problem ?? ''}`;
  return 'Finished, not read back';
}

