import type { BlockInfo } from '../storage/types.js';
import { blockSequenceNumbers } from './hypotheses.js';
import type { Check } from './types.js';

/** The checks of a verification that compare what the file says with what the blob holds. */

/** ContentFileSize as stored (an Int64 string, or a number from older state). */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) return Number(value);
  return undefined;
}

/**
 * ContentChecksum is documented as MD5 hex of the clear file. Base64 of the MD5 (what Azure
 * storage's Content-MD5 uses) is accepted and said; anything else cannot be compared.
 */
export function parseContentChecksum(value: unknown): { md5?: string; note: string } | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const text = String(value).trim();
  if (/^[0-9a-fA-F]{32}$/.test(text)) return { md5: text.toLowerCase(), note: '' };
  if (/^[A-Za-z0-9+/]{22}==$/.test(text)) {
    return { md5: Buffer.from(text, 'base64').toString('hex'), note: 'ContentChecksum is base64; the service documents the MD5 as hex' };
  }
  return { note: `ContentChecksum ${JSON.stringify(text.slice(0, 80))} is not an MD5 (32 hex digits), so it cannot be compared` };
}

/**
 * Why the blob and ContentFileSize disagree. A blob that matches its digest is the whole file, so
 * the size sent is wrong; one that does not was cut short or grew. Without a digest, how the blob
 * was written tells: written whole (one Put Blob, no block list), it holds what the client sent;
 * a block missing from Put Block List is named only when the committed ids show the gap.
 * `blocks` undefined: the block list could not be read; `digest` undefined: there was none.
 */
export function lengthHint(blobBytes: number, declared: number, blocks?: readonly BlockInfo[], digest?: 'matched' | 'mismatched'): string {
  if (declared === 0) return 'ContentFileSize was never set: MERGE it with the clear file length after the upload';
  if (blobBytes > declared && blobBytes - declared <= 16 && blobBytes % 16 === 0) {
    return 'the blob is padded to a whole AES block: AES-CTR adds no padding (was a block mode with PKCS#7 used?)';
  }
  const sizeWrong = "the size sent is wrong (it must be the clear file's length, which AES-CTR keeps)";
  if (digest === 'matched') return `ContentFileSize says ${declared} but the blob has ${blobBytes} bytes and matches its digest, so it is the whole file: ${sizeWrong}`;
  const gap = blocks ? blockGap(blocks) : undefined;
  if (gap && blobBytes < declared) return `the blob lacks ${declared - blobBytes} bytes and its committed block ids skip ${gap}: a block was left out of Put Block List`;
  if (digest === 'mismatched') {
    return blobBytes < declared
      ? `the blob lacks ${declared - blobBytes} bytes and does not match its digest: the upload is incomplete (${blocks?.length === 0 ? 'one Put Blob sent fewer bytes than the file has' : 'fewer bytes were committed than the file has'})`
      : `the blob has ${blobBytes - declared} bytes more than the file and does not match its digest: a stale or extra block, or bytes appended to the file`;
  }
  if (blocks !== undefined && blocks.length === 0) return `ContentFileSize says ${declared} but the blob, written whole by one Put Blob, has ${blobBytes} bytes: ${sizeWrong}`;
  const written = blocks ? `the ${blocks.length} committed blocks hold ${blobBytes} bytes and nothing in their ids shows a missing block` : `the blob has ${blobBytes} bytes`;
  return `${written}, ${blobBytes > declared ? `${blobBytes - declared} more` : `${declared - blobBytes} fewer`} than ContentFileSize ${declared}: the size sent is wrong, or the upload is ${blobBytes > declared ? 'not the file (a stale or extra block)' : 'incomplete'}; send ContentChecksum to tell which`;
}

/** The first sequence number missing between the committed blocks' ids, when the ids carry one. */
function blockGap(blocks: readonly BlockInfo[]): string | undefined {
  if (blocks.length < 1) return undefined;
  const numbers = blockSequenceNumbers(blocks.map((b) => b.id));
  if (!numbers) return undefined;
  const sorted = [...new Set(numbers)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) if (sorted[i]! - sorted[i - 1]! > 1n) return `number ${sorted[i - 1]! + 1n}`;
  return undefined;
}

/** Blob length against ContentFileSize; `mismatch` carries the numbers for the finding. */
export function lengthCheck(blobBytes: number, contentFileSize: unknown, blocks?: readonly BlockInfo[], digest?: 'matched' | 'mismatched'): { check: Check; mismatch?: { blobBytes: number; contentFileSize: number; hint: string } } {
  const declared = parseSize(contentFileSize);
  if (declared === undefined) return { check: { name: 'content-length', status: 'inconclusive', detail: `ContentFileSize ${JSON.stringify(contentFileSize)} is not a number` } };
  if (declared === blobBytes) return { check: { name: 'content-length', status: 'passed', detail: `the blob has ContentFileSize ${blobBytes} bytes` } };
  const hint = lengthHint(blobBytes, declared, blocks, digest);
  return {
    check: { name: 'content-length', status: 'failed', detail: `the blob has ${blobBytes} bytes but ContentFileSize is ${declared}: ${hint}` },
    mismatch: { blobBytes, contentFileSize: declared, hint },
  };
}

/** ContentChecksum and the expected SHA-256 against the digests of the clear bytes. */
export function digestChecks(
  checksum: ReturnType<typeof parseContentChecksum>,
  expectedSha256: string | undefined,
  computed: { md5?: string; sha256?: string },
): { checks: Check[]; failed: boolean } {
  const checks: Check[] = [];
  let failed = false;
  const note = checksum?.note ? ` (${checksum.note})` : '';
  if (checksum === undefined) {
    checks.push({ name: 'content-checksum', status: 'skipped', detail: 'no ContentChecksum' });
  } else if (!checksum.md5) {
    checks.push({ name: 'content-checksum', status: 'inconclusive', detail: checksum.note });
  } else if (computed.md5 === checksum.md5) {
    checks.push({ name: 'content-checksum', status: 'passed', detail: `MD5 of the clear bytes ${computed.md5} matches ContentChecksum${note}` });
  } else {
    failed = true;
    checks.push({ name: 'content-checksum', status: 'failed', detail: `MD5 of the clear bytes is ${computed.md5}, ContentChecksum says ${checksum.md5}${note}` });
  }
  if (expectedSha256) {
    const ok = computed.sha256 === expectedSha256;
    failed ||= !ok;
    checks.push({ name: 'expected-sha256', status: ok ? 'passed' : 'failed', detail: `SHA-256 of the clear bytes is ${computed.sha256}; ${ok ? 'as expected' : `expected ${expectedSha256}`}` });
  }
  return { checks, failed };
}
