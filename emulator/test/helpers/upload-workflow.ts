/**
 * The storage-encryption upload workflow over raw HTTP, as real clients run it, with a knob for each
 * mistake real clients made. The encryption here is built from the crypto library's primitives
 * (AmsCtr for the reference layout; the tests' block-by-block reference, ctrWithCounters, for the broken layouts), never
 * from the emulator's diagnosis code, so a test can tell the diagnosis wrong.
 *
 *   const upload = await uploadFile(emu, { data: mp4Like(200_000), mistake: { kind: 'iv-little-endian' } });
 *   const v = await verificationOf(emu, upload.fileId);
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { BlockBlobClient } from '@azure/storage-blob';
import { expect } from 'vitest';
import {
  AmsCtr,
  contentKeyChecksum,
  formatIv,
  formatKeyId,
  ivToBytes,
  randomIv,
  wrapContentKey,
} from '../../../client/src/crypto/index.js';
import { ctrWithCounters } from '../../../test/support/crypto-reference.js';
import { entityPath, quoted, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { EMULATOR_CALL_HEADER } from '../../src/http/emulator-exposure.js';

/** How a broken client encrypted (or did not encrypt) the file. */
export type ClientMistake =
  | { kind: 'iv-little-endian' }
  | { kind: 'counter-starts-at-1' }
  | { kind: 'counter-little-endian' }
  | { kind: 'iv-and-counter-little-endian' }
  /** Encrypted with the file's IV but sent `text(iv)` as InitializationVector. */
  | { kind: 'iv-text'; text: (iv: bigint) => string }
  /** Encrypted with another content key of the account (created for the purpose). */
  | { kind: 'other-content-key' }
  /** Encrypted with this IV instead of the file's own. */
  | { kind: 'iv-of-another-file'; iv: bigint }
  | { kind: 'plaintext-uploaded' }
  /** Each block encrypted as if it started at file offset 0. */
  | { kind: 'blocks-encrypted-from-offset-0' }
  /**
   * Encrypted right, block ids numbered (`block-0007`, or .NET's `BitConverter.GetBytes(int)`),
   * but committed in `order` (ids in file order in, committed order out).
   */
  | { kind: 'blocks-committed-out-of-order'; ids: 'text' | 'int32le'; order: (ids: string[]) => string[] };

/** Clear bytes given whole, or generated block by block (for blobs too big to hold). */
export type ClearData = Buffer | { size: number; chunk(offset: number, length: number): Buffer };

export interface UploadOptions {
  data: ClearData;
  name?: string;
  /** MimeType sent; null sends none. Default from the name. */
  mimeType?: string | null;
  /**
   * `sdk`: POST Files with the encryption fields, upload, MERGE ContentFileSize (.NET).
   * `upload-first`: upload, CreateFileInfos, MERGE the encryption fields (Java, PHP).
   */
  flow?: 'sdk' | 'upload-first';
  /** Put Block size; undefined: one Put Blob. */
  blockSize?: number;
  /** Blocks staged at once. Default 4. */
  parallelism?: number;
  /** true: MD5 hex of the clear bytes; a string: send it; false/undefined: none. */
  contentChecksum?: boolean | string;
  /** ContentFileSize to MERGE instead of the clear length; 'omit' leaves it out. */
  contentFileSize?: number | 'omit';
  iv?: bigint;
  mistake?: ClientMistake;
  userAgent?: string;
  /** Reuse an asset (and its key) from an earlier upload. */
  into?: UploadedAsset;
  /** Link the content key to the asset (default true). */
  linkKey?: boolean;
  /** Send EncryptionKeyId (default true). */
  sendKeyId?: boolean;
  /** Do not assert the completing request succeeded (strict-mode tests look at it). */
  allowFailure?: boolean;
}

export interface UploadedAsset {
  assetId: string;
  keyId: string;
  key: Buffer;
}

export interface Upload extends UploadedAsset {
  fileId: string;
  name: string;
  iv: bigint;
  /** InitializationVector as sent. */
  ivText: string;
  size: number;
  md5: string;
  sha256: string;
  /** The request that completed the upload (the MERGE): status, body, x-ms-request-id. */
  completing: { status: number; text: string; requestId: string; path: string };
}

export const DEFAULT_USER_AGENT = 'verify-tests/1.0 (upload-workflow helper)';

const MIME_BY_EXTENSION: Record<string, string> = { mp4: 'video/mp4', ts: 'video/mp2t', txt: 'text/plain', bin: 'application/octet-stream', png: 'image/png' };

export async function uploadFile(emu: TestEmulator, options: UploadOptions): Promise<Upload> {
  const name = options.name ?? `file-${randomUUID().slice(0, 8)}.mp4`;
  const extension = name.split('.').pop() ?? '';
  const mimeType = options.mimeType === undefined ? (MIME_BY_EXTENSION[extension] ?? null) : options.mimeType;
  const userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
  const call = (method: string, path: string, body?: unknown) => emu.ams(method, path, { body, headers: { 'User-Agent': userAgent } });
  const asset = options.into ?? (await newEncryptedAsset(emu, options.linkKey ?? true));
  const iv = options.iv ?? randomIv();
  const mistake = options.mistake;
  const ivText = mistake?.kind === 'iv-text' ? mistake.text(iv) : formatIv(iv);
  const size = dataSize(options.data);
  const encryptWith = mistake?.kind === 'other-content-key' ? (await createKey(emu)).key : asset.key;

  const encryption: JsonBody = {
    IsEncrypted: true,
    EncryptionScheme: 'StorageEncryption',
    EncryptionVersion: '1.0',
    InitializationVector: ivText,
    ...(options.sendKeyId === false ? {} : { EncryptionKeyId: asset.keyId }),
  };
  const flow = options.flow ?? 'sdk';
  let fileId: string | undefined;
  if (flow === 'sdk') {
    const created = await call('POST', 'Files', { Name: name, ParentAssetId: asset.assetId, ...encryption, ...(mimeType === null ? {} : { MimeType: mimeType }) });
    expect(created.status, created.text).toBe(201);
    fileId = String(created.body.Id);
  }

  const policy = await call('POST', 'AccessPolicies', { Name: 'upload', DurationInMinutes: 60, Permissions: 2 });
  expect(policy.status, policy.text).toBe(201);
  const locator = await call('POST', 'Locators', { AccessPolicyId: policy.body.Id, AssetId: asset.assetId, Type: 1 });
  expect(locator.status, locator.text).toBe(201);
  const blob = new BlockBlobClient(`${locator.body.BaseUri}/${name}${locator.body.ContentAccessComponent}`);
  const digests = await uploadBlob(blob, options, size, (chunk, offset, blockStart) => encryptChunk(chunk, offset, blockStart, encryptWith, iv, mistake));
  await call('DELETE', entityPath('Locators', String(locator.body.Id)));
  await call('DELETE', entityPath('AccessPolicies', String(policy.body.Id)));

  const merge: JsonBody = {};
  if (options.contentFileSize !== 'omit') merge['ContentFileSize'] = String(options.contentFileSize ?? size);
  if (options.contentChecksum === true) merge['ContentChecksum'] = digests.md5;
  else if (typeof options.contentChecksum === 'string') merge['ContentChecksum'] = options.contentChecksum;
  if (flow === 'upload-first') {
    const infos = await call('GET', `CreateFileInfos?assetid=${quoted(asset.assetId)}`);
    expect(infos.status, infos.text).toBe(204);
    const files = await call('GET', `${entityPath('Assets', asset.assetId)}/Files`);
    const file = (files.body.value as JsonBody[]).find((f) => f.Name === name);
    expect(file, files.text).toBeDefined();
    fileId = String(file!.Id);
    Object.assign(merge, encryption, mimeType === null ? {} : { MimeType: mimeType });
  }
  const path = entityPath('Files', fileId!);
  const completed = await call('MERGE', path, merge);
  if (!options.allowFailure) expect(completed.status, completed.text).toBe(204);
  return {
    ...asset,
    fileId: fileId!,
    name,
    iv,
    ivText,
    size,
    ...digests,
    completing: { status: completed.status, text: completed.text, requestId: completed.headers.get('x-ms-request-id') ?? '', path },
  };
}

/** A storage-encrypted asset with a fresh content key linked, as the .NET SDK makes it. */
export async function newEncryptedAsset(emu: TestEmulator, link = true): Promise<UploadedAsset> {
  const { keyId, key } = await createKey(emu);
  const asset = await emu.ams('POST', 'Assets', { body: { Name: 'verify', Options: 1 } });
  expect(asset.status, asset.text).toBe(201);
  const assetId = String(asset.body.Id);
  if (link) {
    const linked = await emu.ams('POST', `${entityPath('Assets', assetId)}/$links/ContentKeys`, { body: { uri: `${emu.url}${entityPath('ContentKeys', keyId)}` } });
    expect(linked.status, linked.text).toBe(204);
  }
  return { assetId, keyId, key };
}

let protection: { thumbprint: string; certificate: string; url: string } | undefined;

export async function createKey(emu: TestEmulator): Promise<{ keyId: string; key: Buffer }> {
  if (protection?.url !== emu.url) {
    const id = await emu.ams('GET', 'GetProtectionKeyId?contentKeyType=1');
    const cert = await emu.ams('GET', `GetProtectionKey?ProtectionKeyId='${String(id.body.value)}'`);
    protection = { thumbprint: String(id.body.value), certificate: String(cert.body.value), url: emu.url };
  }
  const key = randomBytes(32);
  const keyId = formatKeyId(randomUUID());
  const res = await emu.ams('POST', 'ContentKeys', {
    body: { Id: keyId, ContentKeyType: 1, EncryptedContentKey: wrapContentKey(protection.certificate, key).toString('base64'), ProtectionKeyId: protection.thumbprint, ProtectionKeyType: 0, Checksum: contentKeyChecksum(key, keyId) },
  });
  expect(res.status, res.text).toBe(201);
  return { keyId, key };
}

/** The bytes a client with `mistake` stores for the clear `chunk` at file `offset` (its block starts at `blockStart`). */
export function encryptChunk(chunk: Buffer, offset: number, blockStart: number, key: Buffer, iv: bigint, mistake: ClientMistake | undefined): Buffer {
  const be8 = ivToBytes(iv);
  const le8 = Buffer.from(be8).reverse();
  const layout = (first: Buffer, lowLittleEndian: boolean, shift = 0n) => (block: bigint) => {
    const counter = Buffer.alloc(16);
    first.copy(counter, 0);
    if (lowLittleEndian) counter.writeBigUInt64LE(block + shift, 8);
    else counter.writeBigUInt64BE(block + shift, 8);
    return counter;
  };
  switch (mistake?.kind) {
    case 'plaintext-uploaded':
      return Buffer.from(chunk);
    case 'iv-little-endian':
      return ctrWithCounters(key, chunk, offset, layout(le8, false));
    case 'counter-starts-at-1':
      return ctrWithCounters(key, chunk, offset, layout(be8, false, 1n));
    case 'counter-little-endian':
      return ctrWithCounters(key, chunk, offset, layout(be8, true));
    case 'iv-and-counter-little-endian':
      return ctrWithCounters(key, chunk, offset, layout(le8, true));
    case 'iv-of-another-file':
      return new AmsCtr(key, mistake.iv, offset).update(chunk);
    case 'blocks-encrypted-from-offset-0':
      return new AmsCtr(key, iv, offset - blockStart).update(chunk);
    default:
      return new AmsCtr(key, iv, offset).update(chunk);
  }
}

async function uploadBlob(
  blob: BlockBlobClient,
  options: UploadOptions,
  size: number,
  encrypt: (chunk: Buffer, offset: number, blockStart: number) => Buffer,
): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  const clearAt = (offset: number, length: number) => {
    const chunk = Buffer.isBuffer(options.data) ? options.data.subarray(offset, offset + length) : options.data.chunk(offset, length);
    md5.update(chunk);
    sha256.update(chunk);
    return chunk;
  };
  if (options.blockSize === undefined) {
    await blob.uploadData(encrypt(clearAt(0, size), 0, 0));
  } else {
    // Blocks are generated in order (for the digests) and staged in parallel, as the SDKs do.
    const blockSize = options.blockSize;
    const ids: string[] = [];
    const inFlight = new Set<Promise<unknown>>();
    const misordered = options.mistake?.kind === 'blocks-committed-out-of-order' ? options.mistake : undefined;
    for (let offset = 0, index = 0; offset < size; offset += blockSize, index++) {
      const id = misordered ? numberedBlockId(index, misordered.ids) : Buffer.from(`BlockId${String(index).padStart(7, '0')}`).toString('base64');
      ids.push(id);
      const body = encrypt(clearAt(offset, Math.min(blockSize, size - offset)), offset, offset);
      const staged = blob.stageBlock(id, body, body.length).finally(() => inFlight.delete(staged));
      inFlight.add(staged);
      if (inFlight.size >= (options.parallelism ?? 4)) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    await blob.commitBlockList(misordered ? misordered.order(ids) : ids);
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}

function numberedBlockId(index: number, scheme: 'text' | 'int32le'): string {
  if (scheme === 'text') return Buffer.from(`block-${String(index).padStart(4, '0')}`).toString('base64');
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(index);
  return bytes.toString('base64');
}

function dataSize(data: ClearData): number {
  return Buffer.isBuffer(data) ? data.length : data.size;
}

/** `size` bytes shaped like an MP4: ftyp, free, mdat (random), and a moov box at the end. */
export function mp4Like(size: number): Buffer {
  if (size < 24 + 8 + 8 + 8) throw new RangeError('an MP4-like file needs at least 48 bytes');
  const moov = Math.min(64, size - 40);
  const out = randomBytes(size);
  const box = (at: number, length: number, type: string) => {
    out.writeUInt32BE(length, at);
    out.write(type, at + 4, 'latin1');
  };
  box(0, 24, 'ftyp');
  out.write('isom', 8, 'latin1');
  out.writeUInt32BE(0x200, 12);
  out.write('isomiso2', 16, 'latin1');
  box(24, 8, 'free');
  box(32, size - 32 - moov, 'mdat');
  box(size - moov, moov, 'moov');
  return out;
}

/** `packets` MPEG-TS packets (0x47 then 187 random bytes each). */
export function mpegTsLike(packets: number): Buffer {
  const out = randomBytes(packets * 188);
  for (let i = 0; i < packets; i++) out[i * 188] = 0x47;
  return out;
}

/** POST/GET an `/_emulator/...` path with an optional JSON body. */
export async function admin(emu: TestEmulator, method: string, path: string, body?: unknown): Promise<{ status: number; body: JsonBody; text: string }> {
  const res = await fetch(`${emu.baseUrl}_emulator/${path}`, {
    method,
    headers: { [EMULATOR_CALL_HEADER]: '1', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: JsonBody = {};
  try {
    parsed = text ? (JSON.parse(text) as JsonBody) : {};
  } catch {
    parsed = {};
  }
  return { status: res.status, body: parsed, text };
}

/** The file's verification once no verification is pending (long-polls `/verifications?wait=`). */
export async function verificationOf(emu: TestEmulator, fileId: string): Promise<JsonBody> {
  const all = await admin(emu, 'GET', 'verifications?wait=60');
  expect(all.status, all.text).toBe(200);
  expect(all.body.idle, 'verifications still pending after 60 s').toBe(true);
  const one = await admin(emu, 'GET', `files/${encodeURIComponent(fileId)}/verification`);
  expect(one.status, one.text).toBe(200);
  return one.body;
}

/** The findings about a file. */
export async function findingsOf(emu: TestEmulator, fileId: string): Promise<JsonBody[]> {
  const res = await admin(emu, 'GET', `findings?entityId=${encodeURIComponent(fileId)}`);
  expect(res.status, res.text).toBe(200);
  return res.body.findings as JsonBody[];
}
