/**
 * What a storage-encryption client does on its own side of the wire, as replay actions: make and
 * wrap a content key, encrypt a file with AMS AES-CTR, upload it through the SAS locator with
 * @azure/storage-blob (one shot, or blocks in parallel at their offsets as the .NET SDK does), and
 * check the result: the blob decrypts to the original, and the emulator's own verification says so.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { BlobServiceClient, BlockBlobClient } from '@azure/storage-blob';
import { expect } from 'vitest';
import { amsCtr, contentKeyChecksum, formatIv, formatKeyId, randomIv, wrapContentKey, type ChecksumVariant } from '../../../client/src/crypto/index.js';
import type { TestEmulator } from '../../../test/support/emulator.js';
import type { ReplaySession } from './clients-replay.js';

export interface ClientSide {
  key: Buffer;
  iv: bigint;
  plaintext: Buffer;
}

export interface StorageEncryptionOptions {
  /** The checksum the client computes (each SDK has its own, real-client-wire-facts.md finding 1). */
  checksum: ChecksumVariant;
  fileName: string;
  fileSize: number;
  /** One Put Blob (Java, PHP, fritzy) or blocks staged in parallel then committed (.NET). */
  upload: 'single' | 'blocks';
  /** How the blob URL is built: `BaseUri + '/' + name + ContentAccessComponent` (SDKs) or from `Path` (fritzy). */
  url: 'baseUri' | 'path';
  /** An IV above 2^63, as .NET's full ulong and Java's BigInteger produce (finding 10). */
  highIv?: boolean;
}

const BLOCK_SIZE = 64 * 1024;

export function storageEncryptionActions(emu: TestEmulator, options: StorageEncryptionOptions) {
  const side: Partial<ClientSide> = {};
  const actions = {
    /** Needs {{certificate}}; sets {{keyId}}, {{encryptedContentKey}}, {{checksum}}. */
    newStorageKey(session: ReplaySession) {
      side.key = randomBytes(32);
      const keyId = formatKeyId(randomUUID());
      session.set('keyId', keyId);
      session.set('encryptedContentKey', wrapContentKey(session.get('certificate'), side.key).toString('base64'));
      session.set('checksum', contentKeyChecksum(side.key, keyId, options.checksum));
    },
    /** Sets {{fileName}}, {{fileSize}}, {{iv}}. */
    newFile(session: ReplaySession) {
      side.plaintext = fileContent(options.fileName, options.fileSize);
      side.iv = options.highIv ? (1n << 63n) | randomIv() : randomIv();
      session.set('fileName', options.fileName);
      session.set('fileSize', String(options.fileSize));
      session.set('iv', formatIv(side.iv));
    },
    /** Needs {{baseUri}} + {{sas}} or {{path}}: encrypt and upload through the SAS locator. */
    async upload(session: ReplaySession) {
      const { key, iv, plaintext } = need(side);
      const blob = new BlockBlobClient(blobUrl(session, options));
      if (options.upload === 'single') {
        const res = await blob.upload(amsCtr(key, iv, plaintext), plaintext.length);
        expect(res._response.status).toBe(201);
        return;
      }
      const ids: string[] = [];
      const staged: Promise<unknown>[] = [];
      for (let offset = 0, n = 0; offset < plaintext.length; offset += BLOCK_SIZE, n++) {
        const id = Buffer.from(`block-${String(n).padStart(6, '0')}`).toString('base64');
        ids.push(id);
        const chunk = amsCtr(key, iv, plaintext.subarray(offset, offset + BLOCK_SIZE), offset);
        staged.push(blob.stageBlock(id, chunk, chunk.length));
      }
      await Promise.all(staged);
      await blob.commitBlockList(ids);
    },
    /** The blob in storage decrypts (AES-CTR, the file's key and IV) to exactly the bytes the client had. */
    async checkDecrypted(session: ReplaySession) {
      const { key, iv, plaintext } = need(side);
      const container = new URL(session.get('containerUrl')).pathname.split('/').filter(Boolean).pop()!;
      const stored = await BlobServiceClient.fromConnectionString(emu.emulator.storage.connectionString)
        .getContainerClient(container)
        .getBlobClient(options.fileName)
        .downloadToBuffer();
      expect(stored.length).toBe(plaintext.length);
      expect(stored.equals(plaintext), 'the blob is encrypted, not the clear bytes').toBe(false);
      expect(amsCtr(key, iv, stored).equals(plaintext), 'the blob decrypts to the original').toBe(true);
    },
    /** The emulator's server-side decrypt verification of {{fileId}} passes. */
    async serverVerification(session: ReplaySession) {
      const result = await awaitVerification(emu, session.get('fileId'));
      expect(result.status, JSON.stringify(result)).toBe('verified');
    },
  };
  return { actions, side };
}

export interface Verification {
  status: string;
  [name: string]: unknown;
}

/**
 * The emulator's verification of a file (`GET /_emulator/files/{id}/verification`), once nothing is
 * pending (`GET /_emulator/verifications?wait=`): verification runs in the background after the
 * change that completes an upload.
 */
export async function awaitVerification(emu: TestEmulator, fileId: string, waitSeconds = 30): Promise<Verification> {
  const idle = await emu.admin<{ idle: boolean }>('GET', `verifications?wait=${waitSeconds}`);
  expect(idle.status, idle.text).toBe(200);
  expect(idle.body.idle, 'verification still pending').toBe(true);
  const res = await emu.admin<Verification>('GET', `files/${encodeURIComponent(fileId)}/verification`);
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/**
 * Bytes that look like what the name says (the emulator's verification checks the clear bytes
 * against the declared type): an MP4 `ftyp` box then an `mdat` box of random bytes, or UTF-8 text.
 */
export function fileContent(name: string, size: number): Buffer {
  if (name.endsWith('.txt')) {
    const line = Buffer.from(`${randomUUID()} storage-encrypted ingest test line\n`, 'utf8');
    return Buffer.alloc(size, line);
  }
  const ftyp = Buffer.from([0, 0, 0, 0x18, ...Buffer.from('ftypisom'), 0, 0, 2, 0, ...Buffer.from('isomiso2')]);
  const mdat = Buffer.alloc(8);
  mdat.writeUInt32BE(size - ftyp.length, 0);
  mdat.write('mdat', 4, 'latin1');
  return Buffer.concat([ftyp, mdat, randomBytes(Math.max(0, size - ftyp.length - mdat.length))]).subarray(0, size);
}

function blobUrl(session: ReplaySession, options: StorageEncryptionOptions): string {
  if (options.url === 'baseUri') return `${session.get('baseUri')}/${options.fileName}${session.get('sas')}`;
  // fritzy: url.parse(locator.Path); parsedpath.pathname += '/' + filename; url.format(parsedpath)
  const url = new URL(session.get('path'));
  url.pathname += `/${options.fileName}`;
  return url.toString();
}

function need(side: Partial<ClientSide>): ClientSide {
  if (!side.key || side.iv === undefined || !side.plaintext) throw new Error('the client has no key or file yet');
  return side as ClientSide;
}
