import { constants, publicEncrypt, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { certificatePublicKey, contentKeyChecksum, createProtectionCertificate, wrapContentKey, type ChecksumVariant } from '../../../client/src/crypto/index.js';
import { startTestAzurite, type TestAzurite } from '../../../test/support/azurite.js';
import { entityPath, startTestEmulator, type AmsResponse, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { batchBody, readBatchResponse, type PartResponse } from '../../../client/src/rest/batch-wire.js';
import { createAsset, encryptedFileBody, errorMessage, linkKey, protectionKey, storageKeyBody, type NewKeyOptions, type ProtectionKey } from '../helpers/api-fixtures.js';

/**
 * Compat by default, strict on request, findings always: each rule this issue owns is recorded
 * (with who and which request) when the emulator accepts the deviation, and refused with nothing
 * stored under --strict. Two emulators share one Azurite: one compat, one strict.
 */

let azurite: TestAzurite;
let compat: TestEmulator;
let strict: TestEmulator;
let compatKey: ProtectionKey;
let strictKey: ProtectionKey;
const CLIENT = 'findings-test-client/2.0 (+https://example.test)';

beforeAll(async () => {
  azurite = await startTestAzurite();
  [compat, strict] = await Promise.all([
    startTestEmulator({ storageConnectionString: azurite.connectionString }),
    startTestEmulator({ storageConnectionString: azurite.connectionString, strict: true }),
  ]);
  [compatKey, strictKey] = await Promise.all([protectionKey(compat), protectionKey(strict)]);
});
afterAll(async () => {
  await Promise.all([compat?.close(), strict?.close()]);
  await azurite?.stop();
});
beforeEach(async () => {
  await compat.reset();
  await strict.reset();
});

async function findings(emu: TestEmulator): Promise<JsonBody[]> {
  const res = await emu.admin('GET', 'findings');
  expect(res.status).toBe(200);
  return res.body.findings as JsonBody[];
}

function postKey(emu: TestEmulator, protection: ProtectionKey, options: NewKeyOptions): Promise<AmsResponse> {
  return emu.ams('POST', 'ContentKeys', { body: storageKeyBody(protection, options).request, headers: { 'User-Agent': CLIENT } });
}

/** The one finding a request left, with the fields every finding carries. */
async function onlyFinding(emu: TestEmulator, res: AmsResponse, rule: string, entityId: string | null): Promise<JsonBody> {
  const all = await findings(emu);
  expect(all.map((f) => f.rule)).toEqual([rule]);
  const f = all[0]!;
  expect(f.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(['error', 'warning', 'info']).toContain(f.severity);
  expect(typeof f.message).toBe('string');
  expect(f.message.length).toBeGreaterThan(20);
  if (entityId !== null) expect(String(f.entityId).toLowerCase()).toBe(entityId.toLowerCase());
  expect(f.requestId).toBe(res.headers.get('x-ms-request-id'));
  expect(f.client).toBe(CLIENT);
  expect(Math.abs(Date.parse(f.time) - Date.now())).toBeLessThan(60_000);
  return f;
}

describe('the reference client leaves no findings', () => {
  it('a correctly wrapped 32-byte key with the .NET checksum, a decimal IV per file', async () => {
    const made = storageKeyBody(compatKey);
    expect((await compat.ams('POST', 'ContentKeys', { body: made.request })).status).toBe(201);
    const asset = await createAsset(compat);
    await linkKey(compat, asset.Id, made.id);
    for (const name of ['a.mp4', 'b.mp4']) expect((await compat.ams('POST', 'Files', { body: encryptedFileBody(asset.Id, made.id, name) })).status).toBe(201);
    expect(await findings(compat)).toEqual([]);
  });
});

describe('checksum-mismatch', () => {
  it.each(['rfc4122', 'java', 'php'] as ChecksumVariant[])('names the %s variant, and strict refuses it', async (variant) => {
    const res = await postKey(compat, compatKey, { variant });
    expect(res.status).toBe(201);
    const f = await onlyFinding(compat, res, 'checksum-mismatch', res.body.Id);
    expect(f.variant).toBe(variant);
    expect(f.severity).toBe('error');
    expect(f.message).toMatch(/does not match the reference value/);

    const refused = await postKey(strict, strictKey, { variant });
    expect(refused.status).toBe(400);
    expect(errorMessage(refused.body)).toMatch(/checksum-mismatch/);
    expect((await strict.ams('GET', 'ContentKeys')).body.value).toEqual([]);
  });

  it('says unknown for a checksum no known way computes', async () => {
    const res = await postKey(compat, compatKey, { checksum: randomBytes(8).toString('base64') });
    expect(res.status).toBe(201);
    const f = await onlyFinding(compat, res, 'checksum-mismatch', res.body.Id);
    expect(f.variant).toBe('unknown');
    expect(f.expected).toBe(contentKeyChecksum(await clearKey(compat, res.body.Id), res.body.Id));
  });
});

async function clearKey(emu: TestEmulator, id: string): Promise<Buffer> {
  const res = await emu.ams('GET', `RebindContentKey?id='${encodeURIComponent(id)}'&x509Certificate=''`);
  expect(res.status).toBe(200);
  return Buffer.from(String(res.body.value), 'base64');
}

describe('checksum-missing', () => {
  it('warns about a storage key without a checksum, and strict refuses it', async () => {
    const res = await postKey(compat, compatKey, { checksum: null });
    expect(res.status).toBe(201);
    const f = await onlyFinding(compat, res, 'checksum-missing', res.body.Id);
    expect(f.severity).toBe('warning');
    expect((await postKey(strict, strictKey, { checksum: null })).status).toBe(400);
    expect((await strict.ams('GET', 'ContentKeys')).body.value).toEqual([]);
  });
});

describe('content-key-unwrap-failed', () => {
  const key = randomBytes(32);
  const other = createProtectionCertificate({ commonName: 'someone-else' });
  const wraps: [string, (protection: ProtectionKey) => string][] = [
    ['oaep-sha256', (p) => publicEncrypt({ key: certificatePublicKey(p.certificate), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, key).toString('base64')],
    ['pkcs1-v1_5', (p) => publicEncrypt({ key: certificatePublicKey(p.certificate), padding: constants.RSA_PKCS1_PADDING }, key).toString('base64')],
    ['other-certificate', () => wrapContentKey(other.der, key).toString('base64')],
    ['wrong-length', (p) => wrapContentKey(p.certificate, key).subarray(0, 200).toString('base64')],
    ['not-base64', () => 'this is not base64!'],
  ];

  it.each(wraps)('diagnoses %s, and strict refuses it', async (diagnosis, wrap) => {
    const res = await postKey(compat, compatKey, { encryptedContentKey: wrap(compatKey), checksum: null });
    expect(res.status, res.text).toBe(201);
    const f = await onlyFinding(compat, res, 'content-key-unwrap-failed', res.body.Id);
    expect(f.diagnosis).toBe(diagnosis);
    expect(f.severity).toBe('error');
    const refused = await postKey(strict, strictKey, { encryptedContentKey: wrap(strictKey), checksum: null });
    expect(refused.status).toBe(400);
    expect(errorMessage(refused.body)).toMatch(/content-key-unwrap-failed/);
    expect((await strict.ams('GET', 'ContentKeys')).body.value).toEqual([]);
  });
});

describe('content-key-length', () => {
  it('flags a storage key that is not 32 bytes, and strict refuses it', async () => {
    const short = randomBytes(16);
    const res = await postKey(compat, compatKey, { key: short });
    expect(res.status).toBe(201);
    const f = await onlyFinding(compat, res, 'content-key-length', res.body.Id);
    expect(f.keyLength).toBe(16);
    expect((await postKey(strict, strictKey, { key: short })).status).toBe(400);
    // A 16-byte CommonEncryption key is the right size for its type: no finding.
    await compat.admin('DELETE', 'findings');
    const common = await postKey(compat, compatKey, { key: short, contentKeyType: 0 });
    expect(common.status).toBe(201);
    expect(await findings(compat)).toEqual([]);
  });
});

describe('iv-reused and iv-not-decimal-uint64', () => {
  async function keyedAsset(emu: TestEmulator, protection: ProtectionKey): Promise<{ assetId: string; keyId: string }> {
    const made = storageKeyBody(protection);
    expect((await emu.ams('POST', 'ContentKeys', { body: made.request })).status).toBe(201);
    const asset = await createAsset(emu);
    await linkKey(emu, asset.Id, made.id);
    return { assetId: asset.Id, keyId: made.id };
  }
  const postFile = (emu: TestEmulator, body: JsonBody) => emu.ams('POST', 'Files', { body, headers: { 'User-Agent': CLIENT } });

  it('records a reused IV under one key (compat) and answers 409 in strict with nothing stored', async () => {
    const c = await keyedAsset(compat, compatKey);
    expect((await postFile(compat, encryptedFileBody(c.assetId, c.keyId, 'a.mp4', '42'))).status).toBe(201);
    // The same number spelled differently is the same counter.
    const second = await postFile(compat, encryptedFileBody(c.assetId, c.keyId, 'b.mp4', '042'));
    expect(second.status).toBe(201);
    const f = await onlyFinding(compat, second, 'iv-reused', second.body.Id);
    expect(f.keyId.toLowerCase()).toBe(c.keyId.toLowerCase());

    const s = await keyedAsset(strict, strictKey);
    expect((await postFile(strict, encryptedFileBody(s.assetId, s.keyId, 'a.mp4', '42'))).status).toBe(201);
    const refused = await postFile(strict, encryptedFileBody(s.assetId, s.keyId, 'b.mp4', '42'));
    expect(refused.status).toBe(409);
    expect(errorMessage(refused.body)).toMatch(/iv-reused/);
    expect((await strict.ams('GET', `${entityPath('Assets', s.assetId)}/Files`)).body.value).toHaveLength(1);
    // A MERGE onto the used IV is the same conflict.
    const plain = await postFile(strict, encryptedFileBody(s.assetId, s.keyId, 'c.mp4', '43'));
    expect(plain.status).toBe(201);
    expect((await strict.ams('MERGE', entityPath('Files', plain.body.Id), { body: { InitializationVector: '42' } })).status).toBe(409);
    expect((await strict.ams('GET', entityPath('Files', plain.body.Id))).body.InitializationVector).toBe('43');
  });

  it('linking a key after the files exist is checked too: compat records iv-reused, strict answers 409 and keeps no link', async () => {
    // Files with IV 999 and no key yet (no EncryptionKeyId, nothing linked): they take the asset's
    // storage key once it is linked, and then two of them share a keystream.
    const unkeyedFile = (assetId: string, name: string): JsonBody => {
      const { EncryptionKeyId: _none, ...body } = encryptedFileBody(assetId, 'unused', name, '999');
      return body;
    };
    const link = (emu: TestEmulator, assetId: string, keyId: string) =>
      emu.ams('POST', `${entityPath('Assets', assetId)}/$links/ContentKeys`, { body: { uri: `${emu.url}${entityPath('ContentKeys', keyId)}` }, headers: { 'User-Agent': CLIENT } });
    for (const emu of [compat, strict]) {
      const protection = emu === compat ? compatKey : strictKey;
      const key = storageKeyBody(protection);
      expect((await emu.ams('POST', 'ContentKeys', { body: key.request })).status).toBe(201);
      const [a, b] = [await createAsset(emu), await createAsset(emu)];
      expect((await postFile(emu, unkeyedFile(a.Id, 'a.mp4'))).status).toBe(201);
      expect((await postFile(emu, unkeyedFile(b.Id, 'b.mp4'))).status).toBe(201);
      expect(await findings(emu)).toEqual([]);

      expect((await link(emu, a.Id, key.id)).status).toBe(204);
      const second = await link(emu, b.Id, key.id);
      if (emu === compat) {
        expect(second.status).toBe(204);
        const f = await onlyFinding(emu, second, 'iv-reused', null);
        expect(f.keyId.toLowerCase()).toBe(key.id.toLowerCase());
      } else {
        expect(second.status).toBe(409);
        expect(errorMessage(second.body)).toMatch(/iv-reused/);
        expect((await emu.ams('GET', `${entityPath('Assets', b.Id)}/$links/ContentKeys`)).body.value).toEqual([]);
        expect((await findings(emu)).map((f) => f.rule)).toEqual(['iv-reused']);
      }
    }
  });

  it('finds nothing wrong with one IV under two keys, or a reused IV on unencrypted files', async () => {
    const a = await keyedAsset(compat, compatKey);
    const b = await keyedAsset(compat, compatKey);
    expect((await postFile(compat, encryptedFileBody(a.assetId, a.keyId, 'x.mp4', '7'))).status).toBe(201);
    expect((await postFile(compat, encryptedFileBody(b.assetId, b.keyId, 'x.mp4', '7'))).status).toBe(201);
    expect((await postFile(compat, { Name: 'p1', ParentAssetId: a.assetId, InitializationVector: '9' })).status).toBe(201);
    expect((await postFile(compat, { Name: 'p2', ParentAssetId: a.assetId, InitializationVector: '9' })).status).toBe(201);
    expect(await findings(compat)).toEqual([]);
    const s1 = await keyedAsset(strict, strictKey);
    const s2 = await keyedAsset(strict, strictKey);
    expect((await postFile(strict, encryptedFileBody(s1.assetId, s1.keyId, 'x.mp4', '7'))).status).toBe(201);
    expect((await postFile(strict, encryptedFileBody(s2.assetId, s2.keyId, 'x.mp4', '7'))).status).toBe(201);
  });

  it.each(['q83vEjRWeJA=', '-1', '18446744073709551616', '0x10', '1.5'])('flags the IV %s as not a decimal UInt64, stores it verbatim; strict refuses it', async (iv) => {
    const c = await keyedAsset(compat, compatKey);
    const res = await postFile(compat, encryptedFileBody(c.assetId, c.keyId, 'php.mp4', iv));
    expect(res.status).toBe(201);
    expect(res.body.InitializationVector).toBe(iv);
    await onlyFinding(compat, res, 'iv-not-decimal-uint64', res.body.Id);
    const s = await keyedAsset(strict, strictKey);
    const refused = await postFile(strict, encryptedFileBody(s.assetId, s.keyId, 'php.mp4', iv));
    expect(refused.status).toBe(400);
    expect(errorMessage(refused.body)).toMatch(/iv-not-decimal-uint64/);
    expect((await strict.ams('GET', 'Files')).body.value).toEqual([]);
  });
});

describe('unsupported-api-version', () => {
  it('is a warning in compat and a 400 in strict', async () => {
    const res = await compat.ams('GET', 'Assets', { headers: { 'x-ms-version': '2.99', 'User-Agent': CLIENT } });
    expect(res.status).toBe(200);
    const f = await onlyFinding(compat, res, 'unsupported-api-version', null);
    expect(f.version).toBe('2.99');
    const refused = await strict.ams('POST', 'Assets', { body: { Name: 'x' }, headers: { 'x-ms-version': '2.99' } });
    expect(refused.status).toBe(400);
    expect(errorMessage(refused.body)).toMatch(/2\.0 to 2\.19/);
    expect((await strict.ams('GET', 'Assets')).body.value).toEqual([]);
  });
});

describe('strict mode records what it refuses (findings always)', () => {
  it('keeps a finding for each refused request, naming the request', async () => {
    const refusedKey = await postKey(strict, strictKey, { variant: 'java' });
    expect(refusedKey.status).toBe(400);
    const refusedVersion = await strict.ams('GET', 'Assets', { headers: { 'x-ms-version': '9.9', 'User-Agent': CLIENT } });
    expect(refusedVersion.status).toBe(400);
    const all = await findings(strict);
    expect(all.map((f) => f.rule).sort()).toEqual(['checksum-mismatch', 'unsupported-api-version']);
    expect(all.find((f) => f.rule === 'checksum-mismatch')!.requestId).toBe(refusedKey.headers.get('x-ms-request-id'));
    expect(all.find((f) => f.rule === 'unsupported-api-version')!.requestId).toBe(refusedVersion.headers.get('x-ms-request-id'));
    expect(all.every((f) => f.client === CLIENT && f.refused === true)).toBe(true);
    // Compat findings were not refusals.
    await postKey(compat, compatKey, { variant: 'java' });
    expect((await findings(compat))[0]!.refused).toBeUndefined();
  });

  it('keeps them for an operation of a $batch too, naming the batch request and the operation', async () => {
    const boundary = 'batch_findings';
    const key = storageKeyBody(strictKey, { variant: 'php' }).request;
    const res = await strict.ams('POST', '$batch', {
      body: batchBody(boundary, [{ changeset: [{ method: 'POST', url: 'ContentKeys', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(key) }] }]),
      headers: { 'Content-Type': `multipart/mixed; boundary=${boundary}`, Accept: 'multipart/mixed', 'User-Agent': CLIENT },
    });
    expect(res.status, res.text).toBe(202);
    const [changeset] = readBatchResponse(res.headers.get('content-type'), res.text) as Array<{ changeset: PartResponse[] }>;
    expect(changeset!.changeset.map((p) => p.status)).toEqual([400]);
    const all = await findings(strict);
    expect(all).toHaveLength(1);
    expect(all[0]).toMatchObject({ rule: 'checksum-mismatch', refused: true, client: CLIENT, requestId: res.headers.get('x-ms-request-id'), method: 'POST', path: 'ContentKeys' });
  });
});

describe('/_emulator/findings', () => {
  it('filters by rule, reads as text with the fix, and DELETE clears', async () => {
    await postKey(compat, compatKey, { variant: 'php' });
    await postKey(compat, compatKey, { checksum: null });
    const byRule = await compat.admin('GET', 'findings?rule=checksum-missing');
    expect((byRule.body.findings as JsonBody[]).map((f) => f.rule)).toEqual(['checksum-missing']);
    // A repeated parameter is any of its values.
    const rulesOf = async (query: string) => ((await compat.admin('GET', `findings?${query}`)).body.findings as JsonBody[]).map((f) => f.rule).sort();
    expect(await rulesOf('rule=checksum-missing&rule=no-such-rule')).toEqual(['checksum-missing']);
    expect(await rulesOf('rule=checksum-missing&rule=checksum-mismatch')).toEqual(['checksum-mismatch', 'checksum-missing']);
    expect(await rulesOf('severity=warning&severity=info')).toEqual(['checksum-missing']);
    expect(await rulesOf('rule=no-such-rule&rule=other')).toEqual([]);
    const text = await compat.admin('GET', 'findings?format=text');
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(text.text).toMatch(/^2 findings:/);
    expect(text.text).toContain('[ERROR] checksum-mismatch');
    expect(text.text).toContain('[WARNING] checksum-missing');
    expect(text.text).toContain(`client: ${CLIENT}`);
    expect(text.text).toContain('fix: ');
    expect((await compat.admin('DELETE', 'findings')).status).toBe(204);
    expect(await findings(compat)).toEqual([]);
    expect((await compat.admin('GET', 'findings?format=text')).text).toMatch(/^No findings/);
    // Clearing findings leaves the entities.
    expect((await compat.ams('GET', 'ContentKeys')).body.value).toHaveLength(2);
  });
});
