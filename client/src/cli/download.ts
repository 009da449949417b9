import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { AmsClient, AssetFile, CallOptions } from '../rest/index.js';
import { AmsRequestError, listAll } from '../rest/index.js';
import { download, findAssetFile, AmsWorkflowError, type DownloadResult, type KeyRetrieval, type Leftover } from '../workflows/index.js';
import type { LeafCommand } from './command.js';
import { CONNECTION_OPTIONS, connectionSettings, createClient } from './connection-options.js';
import { CommandFailure, UsageError } from './errors.js';
import { readCertificateFile, readOptionFile } from './inputs.js';
import { describeFailure } from './failures.js';
import { writeLine, type CliIo } from './io.js';
import { createProgress, formatBytes } from './progress.js';
import { BLOCK_SIZE_OPTION, JSON_OPTION, PARALLEL_OPTION, transferShape } from './transfer-options.js';

/** `ams-client download`: files of an asset, decrypted here, written where --out says. */
export const downloadCommand: LeafCommand = {
  name: 'download',
  summary: 'Download the files of an asset, decrypting storage-encrypted ones, and check them against their MD5.',
  details:
    'With --file, that one file is written to PATH (or into PATH under its name, if PATH is a directory).\n' +
    'Without --file, every file of the asset is written into the directory PATH (created if its parent exists).\n' +
    'A file that fails half way is removed, so what is left in PATH is complete.',
  options: [
    ...CONNECTION_OPTIONS,
    { name: 'asset', type: 'string', placeholder: 'ID', required: true, description: 'the asset id, nb:cid:UUID:...' },
    { name: 'file', type: 'string', placeholder: 'NAME', description: 'only this file of the asset (default: all of them)' },
    { name: 'out', type: 'string', placeholder: 'PATH', required: true, description: 'where to write: a file path with --file, else a directory' },
    { name: 'rebind-cert', type: 'string', placeholder: 'CERTFILE', description: 'have the service wrap the storage key to this X.509 certificate (PEM or DER) rather than return it in clear; needs --rebind-key' },
    { name: 'rebind-key', type: 'string', placeholder: 'PEMFILE', description: "the certificate's private key (PEM), to unwrap the key here" },
    PARALLEL_OPTION,
    BLOCK_SIZE_OPTION,
    JSON_OPTION,
  ],
  async run(options, io) {
    const settings = connectionSettings(options, io.env);
    const shape = transferShape(options);
    const json = options.flag('json');
    const assetId = options.string('asset');
    const fileName = options.optionalString('file');
    const out = options.string('out');
    const key = await keyRetrieval(options.optionalString('rebind-cert'), options.optionalString('rebind-key'));
    const signal = io.signal;
    const call: CallOptions = signal ? { signal } : {};
    const leftovers: Leftover[] = [];
    const context = { action: 'download', auth: settings.auth, signal, leftovers };

    const client = createClient(settings);
    const results: Array<DownloadResult & { path: string }> = [];
    try {
      const files = await filesToDownload(client, assetId, fileName, call);
      const targets = await destinations(out, files, fileName !== undefined);
      const totalBytes = files.reduce((sum, f) => sum + Number(f.ContentFileSize), 0);
      const progress = createProgress(io.stderr, { verb: 'download', totalBytes, quiet: json });
      try {
        let before = 0;
        for (const [index, file] of files.entries()) {
          const path = targets[index]!;
          const result = await download(client, assetId, file.Name, path, {
            ...shape,
            key,
            ...call,
            onProgress: (p) => progress.update(before + p.bytes, p.fileName),
            onCleanupError: (_error, leftover) => leftovers.push(leftover),
          }).catch((err: unknown) => {
            throw writeFailure(err, path) ?? err;
          });
          before += result.size;
          progress.fileDone(result.name, result.size);
          results.push({ ...result, path });
        }
      } finally {
        progress.end();
      }
    } catch (err) {
      throw describeFailure(err, context);
    }
    await printResult(io, assetId, results, json);
  },
};

/**
 * How to get each file's storage key: in clear (RebindContentKey with no certificate), or wrapped
 * to the user's certificate so it never crosses the wire in clear. Both files are read and the
 * key is checked to match the certificate before anything is asked of the service.
 */
export async function keyRetrieval(certPath: string | undefined, keyPath: string | undefined): Promise<KeyRetrieval> {
  if (certPath === undefined && keyPath === undefined) return { kind: 'clear' };
  if (certPath === undefined || keyPath === undefined) {
    throw new UsageError(`--rebind-cert and --rebind-key go together: the service wraps the key to the certificate, and only its private key opens it`, 'download');
  }
  const certificate = await readCertificateFile('rebind-cert', certPath);
  const privateKey = (await readOptionFile('rebind-key', keyPath)).toString('utf8');
  let opened: KeyObject;
  try {
    opened = createPrivateKey(privateKey);
  } catch (err) {
    throw new CommandFailure(`the --rebind-key file ${JSON.stringify(keyPath)} is not a PEM private key: ${(err as Error).message}`);
  }
  const publicOfKey = createPublicKey(opened).export({ type: 'spki', format: 'der' });
  if (!certificate.x509.publicKey.export({ type: 'spki', format: 'der' }).equals(publicOfKey)) {
    throw new CommandFailure(`the --rebind-key file ${JSON.stringify(keyPath)} is not the private key of the --rebind-cert certificate ${JSON.stringify(certPath)}`);
  }
  return { kind: 'certificate', certificate: certificate.der, privateKey };
}

/** The asset's files to fetch, checked before any access is granted or any file is written. */
async function filesToDownload(client: AmsClient, assetId: string, fileName: string | undefined, call: CallOptions): Promise<AssetFile[]> {
  await client.discoverBaseUri(call);
  try {
    await client.getAsset(assetId, call);
  } catch (err) {
    if (err instanceof AmsRequestError && (err.status === 404 || err.status === 400)) {
      throw new CommandFailure(`asset ${assetId} was not found: ${err.serviceMessage ?? `HTTP ${err.status}`}; 'ams-client ls assets' lists the assets`);
    }
    throw err;
  }
  if (fileName !== undefined) {
    try {
      return [await findAssetFile(client, assetId, fileName, call)];
    } catch (err) {
      if (!(err instanceof AmsWorkflowError && err.reason === 'file-not-found')) throw err;
      const names = (await client.listAssetFiles(assetId, { $top: 20 }, call)).map((f) => f.Name);
      const has = names.length === 0 ? 'it has no files' : `its files include ${names.map((n) => JSON.stringify(n)).join(', ')}`;
      throw new CommandFailure(`asset ${assetId} has no file named ${JSON.stringify(fileName)}: ${has}`);
    }
  }
  const files = await listAll((query, options) => client.listAssetFiles(assetId, query, options), {}, call);
  if (files.length === 0) throw new CommandFailure(`asset ${assetId} has no files to download`);
  return files;
}

/**
 * The path each file goes to. File names come from the service: one that is not a plain name
 * (`../x`, `a/b`) is refused rather than written outside --out.
 */
async function destinations(out: string, files: readonly AssetFile[], single: boolean): Promise<string[]> {
  for (const file of files) {
    if (basename(file.Name) !== file.Name || file.Name === '.' || file.Name === '..' || file.Name.includes('\\')) {
      throw new CommandFailure(`the asset has a file named ${JSON.stringify(file.Name)}, which is not a plain file name; refusing to write it`);
    }
  }
  const existing = await stat(out).catch(() => undefined);
  if (single && !existing?.isDirectory()) {
    await checkWritableDirectory(dirname(resolve(out)), out);
    return [out];
  }
  if (existing && !existing.isDirectory()) {
    throw new CommandFailure(`--out ${out} is a file; without --file every file of the asset is downloaded, so --out must be a directory`);
  }
  if (!existing) {
    // Only the last level is created: a typo in the parent should fail, not grow a new tree.
    await checkWritableDirectory(dirname(resolve(out)), out);
    await mkdir(out).catch((err: unknown) => {
      throw new CommandFailure(`cannot create the --out directory ${out}: ${systemReason(err)}; choose another --out`);
    });
  }
  await checkWritableDirectory(out, out);
  return files.map((f) => join(out, f.Name));
}

async function checkWritableDirectory(directory: string, out: string): Promise<void> {
  const info = await stat(directory).catch(() => undefined);
  if (!info) throw new CommandFailure(`cannot write to --out ${out}: the directory ${directory} does not exist; create it or choose another --out`);
  if (!info.isDirectory()) throw new CommandFailure(`cannot write to --out ${out}: ${directory} is not a directory; choose another --out`);
  await access(directory, constants.W_OK).catch((err: unknown) => {
    throw new CommandFailure(`cannot write to --out ${out}: ${systemReason(err)}; choose another --out`);
  });
}

/** A local write that failed once the transfer had started (disk full, a directory in the way). */
function writeFailure(err: unknown, path: string): CommandFailure | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code !== 'string' || typeof (err as NodeJS.ErrnoException).syscall !== 'string') return undefined;
  return new CommandFailure(`cannot write ${path}: ${systemReason(err)}; free some space or choose another --out`);
}

function systemReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'EROFS':
      return 'the file system is read-only';
    default:
      return e.message;
  }
}

async function printResult(io: CliIo, assetId: string, results: ReadonlyArray<DownloadResult & { path: string }>, json: boolean): Promise<void> {
  if (json) {
    const files = results.map((r) => ({ id: r.fileId, name: r.name, size: r.size, path: r.path, md5: r.md5, checksumVerified: r.checksumVerified }));
    await writeLine(io, JSON.stringify({ assetId, files }));
    return;
  }
  const total = results.reduce((sum, r) => sum + r.size, 0);
  const nameWidth = Math.max(...results.map((r) => r.name.length));
  const sizeWidth = Math.max(...results.map((r) => String(r.size).length));
  const lines = [
    `Downloaded ${results.length} file${results.length === 1 ? '' : 's'} (${formatBytes(total)}) of asset ${assetId}`,
    ...results.map((r) => `  ${r.name.padEnd(nameWidth)}  ${String(r.size).padStart(sizeWidth)} bytes  ${r.checksumVerified ? 'MD5 checked' : 'no MD5 to check'}  -> ${r.path}`),
  ];
  await writeLine(io, lines.join('\n'));
}
