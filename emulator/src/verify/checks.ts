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

export function lengthHint(blobBytes: number, declared: number): string {
  if (declared === 0) return 'ContentFileSize was never set: MERGE it with the clear file length after the upload';
  if (blobBytes > declared && blobBytes - declared <= 16 && blobBytes % 16 === 0) {
    return 'the blob is padded to a whole AES block: AES-CTR adds no padding (was a block mode with PKCS#7 used?)';
  }
  if (blobBytes > declared) return `the blob has ${blobBytes - declared} bytes more than the file: a stale or extra block, or ContentFileSize counts something else`;
  return `the blob lacks ${declared - blobBytes} bytes: an incomplete upload (a block missing from Put Block List?)`;
}


/** Blob length against ContentFileSize; `mismatch` carries the numbers for the finding. */
export function lengthCheck(blobBytes: number, contentFileSize: unknown): { check: Check; mismatch?: { blobBytes: number; contentFileSize: number; hint: string } } {
  const declared = parseSize(contentFileSize);
  if (declared === undefined) return { check: { name: 'content-length', status: 'inconclusive', detail: `ContentFileSize ${JSON.stringify(contentFileSize)} is not a number` } };
  if (declared === blobBytes) return { check: { name: 'content-length', status: 'passed', detail: `the blob has ContentFileSize ${blobBytes} bytes` } };
  const hint = lengthHint(blobBytes, declared);
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
