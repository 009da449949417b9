import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { entityPath, startTestEmulator, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, encryptedAsset, protectionKey, storageKeyBody } from '../helpers/api-fixtures.js';
import { batchBody, readBatchResponse, type BatchItem, type PartResponse, type ResponseItem } from '../../../client/src/rest/batch-wire.js';
import { atomEntries, atomProperties, METADATA_NS, parseXml, rootText } from '../helpers/clients-xml.js';
import { getJob, STORAGE_DECRYPTION, taskBody, uploadEncryptedAsset, downloadAsset } from '../helpers/jobs-fixtures.js';
import { readBatchStrictly } from '../helpers/batch-strict.js';

/**
 * `$batch` over real HTTP: parts routed like requests of their own, changesets in order with
 * Content-ID references and undo on failure, the multipart answer read by an independent parser,
 * and the job-create batches of the .NET and Java SDKs (`POST Jobs` + `POST $1/Tasks`).
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const BOUNDARY = 'batch_36522ad7-fc75-4b56-8c71-56071383e77b';
const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };

async function postBatch(items: BatchItem[], headers: Record<string, string> = {}, eol = '\r\n') {
  const res = await emu.ams('POST', '$batch', {
    body: batchBody(BOUNDARY, items, eol),
    headers: { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}`, Accept: 'multipart/mixed', ...headers },
  });
  return res;
}

function answered(res: { status: number; headers: Headers; text: string }): ResponseItem[] {
  expect(res.status, res.text).toBe(202);
  return readBatchResponse(res.headers.get('content-type'), res.text);
}

function single(item: ResponseItem | undefined): PartResponse {
  if (!item || 'changeset' in item) throw new Error('expected a single response');
  return item;
}

function changeset(item: ResponseItem | undefined): PartResponse[] {
  if (!item || !('changeset' in item)) throw new Error('expected a changeset');
  return item.changeset;
}

async function count(set: string): Promise<number> {
  const res = await emu.ams('GET', `${set}/$count`);
  return Number(res.text);
}

describe('$batch with Assets, ContentKeys, $links and Files', () => {
  it('answers each operation with its own status, headers and body, in order; Content-IDs name earlier creates', async () => {
    const key = storageKeyBody(await protectionKey(emu));
    const existing = await emu.ams('POST', 'Assets', { body: { Name: 'holds the file' } });
    const res = await postBatch([
      {
        changeset: [
          { method: 'POST', url: `${emu.url}Assets`, contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'batched', Options: 1 }) },
          { method: 'POST', url: 'ContentKeys', contentId: '2', contentIdIn: 'mime', headers: JSON_HEADERS, body: JSON.stringify(key.request) },
          { method: 'POST', url: '$1/$links/ContentKeys', headers: JSON_HEADERS, body: JSON.stringify({ uri: `${emu.url}${entityPath('ContentKeys', key.id)}` }) },
          { method: 'POST', url: '/api/Files', contentId: 'file', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'batched.mp4', ParentAssetId: existing.body.Id }) },
          { method: 'MERGE', url: '$file', headers: JSON_HEADERS, body: JSON.stringify({ ContentFileSize: '1234', MimeType: 'video/mp4' }) },
        ],
      },
      { method: 'GET', url: '/api/$1/ContentKeys', headers: { Accept: 'application/json' } },
      { method: 'GET', url: 'http://another-host.example/api/$1', headers: { Accept: 'application/atom+xml' } },
      { method: 'GET', url: "Assets('nb:cid:UUID:00000000-0000-0000-0000-000000000000')", headers: { Accept: 'application/atom+xml' } },
    ]);
    expect(res.headers.get('content-type')).toMatch(/^multipart\/mixed; boundary=batchresponse_/);
    const [cs, keys, asset, missing] = answered(res);

    const [assetCreated, keyCreated, linked] = changeset(cs);
    expect(assetCreated).toMatchObject({ status: 201, headers: { 'content-id': '1' } });
    const assetBody = JSON.parse(assetCreated!.body) as JsonBody;
    expect(assetCreated!.headers['location']).toBe(`${emu.url}${entityPath('Assets', assetBody.Id)}`);
    expect(assetBody.Options).toBe(1);
    expect(keyCreated).toMatchObject({ status: 201, headers: { 'content-id': '2' } });
    expect(JSON.parse(keyCreated!.body).Id).toBe(key.id);
    expect(linked).toMatchObject({ status: 204, body: '' });
    const [, , , fileCreated, fileMerged] = changeset(cs);
    expect(fileCreated).toMatchObject({ status: 201, headers: { 'content-id': 'file' } });
    expect(fileMerged!.status).toBe(204);
    const file = await emu.ams('GET', entityPath('Files', JSON.parse(fileCreated!.body).Id));
    expect(file.body).toMatchObject({ Name: 'batched.mp4', ContentFileSize: '1234', MimeType: 'video/mp4' });

    expect(JSON.parse(single(keys).body).value.map((k: JsonBody) => k.Id)).toEqual([key.id]);
    // A part's own Accept picks its format; URLs follow the $batch request's host, not the part's.
    const atom = single(asset);
    expect(atom.headers['content-type']).toMatch(/^application\/atom\+xml;type=entry/);
    const entry = atomEntries(parseXml(atom.body))[0]!;
    expect(atomProperties(entry)['Id']).toBe(assetBody.Id);
    expect(atom.body).toContain(`xml:base="${emu.url}"`);
    // A query outside a changeset fails alone, in its own format.
    expect(single(missing).status).toBe(404);
    expect(rootText(parseXml(single(missing).body).children.find((c) => c.local === 'message')!, 'message', METADATA_NS)).toMatch(/No Asset/);
  });

  it('a failed changeset is answered with its one failure, and what it created is gone again', async () => {
    const key = storageKeyBody(await protectionKey(emu));
    const res = await postBatch([
      {
        changeset: [
          { method: 'POST', url: 'Assets', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'undone', Options: 1 }) },
          { method: 'POST', url: 'ContentKeys', contentId: '2', headers: JSON_HEADERS, body: JSON.stringify(key.request) },
          { method: 'POST', url: '$1/$links/ContentKeys', headers: JSON_HEADERS, body: JSON.stringify({ uri: `${emu.url}${entityPath('ContentKeys', key.id)}` }) },
          { method: 'POST', url: 'Files', contentId: '4', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'f.mp4', ParentAssetId: 'nb:cid:UUID:00000000-0000-0000-0000-000000000000' }) },
          { method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'never made' }) },
        ],
      },
      { method: 'POST', url: 'Assets', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'outside the changeset' }) },
    ]);
    const [cs, outside] = answered(res);
    const failure = changeset(cs);
    expect(failure).toHaveLength(1);
    expect(failure[0]).toMatchObject({ status: 404, headers: { 'content-id': '4' } });
    expect(JSON.parse(failure[0]!.body)['odata.error'].message.value).toMatch(/No Asset/);
    // A change outside a changeset is its own changeset: it ran.
    expect(single(outside).status).toBe(201);
    const assets = await emu.ams('GET', 'Assets');
    expect(assets.body.value.map((a: JsonBody) => a.Name)).toEqual(['outside the changeset']);
    expect(await count('ContentKeys')).toBe(0);
  });

  it('a failed changeset puts back what its updates and deletes changed', async () => {
    const protection = await protectionKey(emu);
    const { asset, key } = await encryptedAsset(emu, protection);
    const assetId = String(asset.Id);
    const file = await createFile(emu, { Name: 'kept.mp4', ParentAssetId: assetId, MimeType: 'video/mp4' });
    const policy = await createPolicy(emu, 1, 30);
    const before = {
      asset: (await emu.ams('GET', entityPath('Assets', assetId))).body,
      file: (await emu.ams('GET', entityPath('Files', String(file.Id)))).body,
      key: (await emu.ams('GET', entityPath('ContentKeys', key.id))).body,
      policy: (await emu.ams('GET', entityPath('AccessPolicies', String(policy.Id)))).body,
    };
    const res = await postBatch([
      {
        changeset: [
          { method: 'MERGE', url: entityPath('Assets', assetId), headers: JSON_HEADERS, body: JSON.stringify({ Name: 'renamed', AlternateId: 'alt' }) },
          { method: 'MERGE', url: entityPath('Files', String(file.Id)), headers: JSON_HEADERS, body: JSON.stringify({ ContentFileSize: '1234', MimeType: 'text/plain' }) },
          { method: 'DELETE', url: entityPath('AccessPolicies', String(policy.Id)), headers: JSON_HEADERS },
          { method: 'DELETE', url: entityPath('ContentKeys', key.id), headers: JSON_HEADERS },
          { method: 'DELETE', url: entityPath('Files', String(file.Id)), headers: JSON_HEADERS },
          { method: 'POST', url: 'Files', contentId: 'bad', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'x', ParentAssetId: 'nb:cid:UUID:00000000-0000-0000-0000-000000000000' }) },
        ],
      },
    ]);
    const [cs] = answered(res);
    expect(changeset(cs)).toEqual([expect.objectContaining({ status: 404, headers: expect.objectContaining({ 'content-id': 'bad' }) })]);
    expect((await emu.ams('GET', entityPath('Assets', assetId))).body).toEqual(before.asset);
    expect((await emu.ams('GET', entityPath('Files', String(file.Id)))).body).toEqual(before.file);
    expect((await emu.ams('GET', entityPath('ContentKeys', key.id))).body).toEqual(before.key);
    expect((await emu.ams('GET', entityPath('AccessPolicies', String(policy.Id)))).body).toEqual(before.policy);
    // The key's link to its asset came back with it.
    expect((await emu.ams('GET', `${entityPath('Assets', assetId)}/ContentKeys`)).body.value.map((k: JsonBody) => k.Id)).toEqual([key.id]);
  });

  it('two updates of one entity are undone in reverse, back to the state before the changeset', async () => {
    const asset = await createAsset(emu, { Name: 'first' });
    const assetId = String(asset.Id);
    const res = await postBatch([
      {
        changeset: [
          { method: 'MERGE', url: entityPath('Assets', assetId), headers: JSON_HEADERS, body: JSON.stringify({ Name: 'by the batch' }) },
          { method: 'MERGE', url: entityPath('Assets', assetId), headers: JSON_HEADERS, body: JSON.stringify({ Name: 'by the batch again' }) },
          { method: 'POST', url: 'Files', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'x', ParentAssetId: 'nb:cid:UUID:00000000-0000-0000-0000-000000000000' }) },
        ],
      },
    ]);
    answered(res);
    // Undone in reverse: the second MERGE back to 'by the batch', then the first back to 'first'.
    expect((await emu.ams('GET', entityPath('Assets', assetId))).body.Name).toBe('first');
  });

  it('tunnels MERGE through POST inside a changeset and reads LF-only line breaks', async () => {
    const created = await emu.ams('POST', 'Assets', { body: { Name: 'before' } });
    const path = entityPath('Assets', created.body.Id);
    const res = await postBatch(
      [{ changeset: [{ method: 'POST', url: path, headers: { ...JSON_HEADERS, 'X-HTTP-Method': 'MERGE' }, body: JSON.stringify({ Name: 'after' }) }] }],
      {},
      '\n',
    );
    expect(changeset(answered(res)[0])[0]!.status).toBe(204);
    expect((await emu.ams('GET', path)).body.Name).toBe('after');
  });

  it('refuses an operation naming an unknown Content-ID, another $batch, or a verb the resource does not take', async () => {
    const res = await postBatch([
      { changeset: [{ method: 'POST', url: '$7/Files', headers: JSON_HEADERS, body: '{}' }] },
      { method: 'GET', url: '$batch' },
      { changeset: [{ method: 'DELETE', url: 'MediaProcessors' }] },
    ]);
    const [unknown, nested, verb] = answered(res);
    expect(changeset(unknown)[0]!.status).toBe(400);
    expect(changeset(unknown)[0]!.body).toMatch(/\$7 does not name an entity created by an earlier operation/);
    expect(single(nested).status).toBe(400);
    expect(single(nested).body).toMatch(/cannot contain another \$batch/);
    expect(changeset(verb)[0]!.status).toBe(405);
  });
});

describe('the framing of the answer, as WCF Data Services wrote it', () => {
  it('closes a changeset with --changesetresponse_Y-- CRLF and the next delimiter, no empty line, read by a strict parser', async () => {
    const created = await emu.ams('POST', 'Assets', { body: { Name: 'to rename' } });
    const res = await postBatch([
      { changeset: [{ method: 'POST', url: 'Assets', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'first' }) }] },
      { method: 'GET', url: 'Assets/$count', headers: { Accept: 'text/plain' } },
      {
        changeset: [
          { method: 'POST', url: 'Assets', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'second' }) },
          { method: 'MERGE', url: entityPath('Assets', created.body.Id), headers: JSON_HEADERS, body: JSON.stringify({ Name: 'renamed' }) },
        ],
      },
    ]);
    expect(res.status, res.text).toBe(202);
    const items = readBatchStrictly(res.headers.get('content-type'), res.text);
    expect(items.map((item) => ('changeset' in item ? item.changeset.map((p) => p.response.status) : item.response.status))).toEqual([[201], 200, [201, 204]]);
    const batch = /boundary=(\S+)/.exec(res.headers.get('content-type')!)![1]!;
    const changesets = [...res.text.matchAll(/^--(changesetresponse_[0-9a-f-]{36})--$/gm)].map((m) => m[1]!);
    expect(changesets).toHaveLength(2);
    expect(res.text).toContain(`--${changesets[0]}--\r\n--${batch}\r\nContent-Type: application/http\r\n`);
    expect(res.text.endsWith(`\r\n--${changesets[1]}--\r\n--${batch}--\r\n`)).toBe(true);
  });
});

describe('malformed batches', () => {
  async function refusal(body: string, contentType = `multipart/mixed; boundary=${BOUNDARY}`, accept = 'multipart/mixed') {
    const res = await emu.ams('POST', '$batch', { body, headers: { 'Content-Type': contentType, Accept: accept } });
    return res;
  }

  it.each([
    ['no multipart Content-Type', '--x\r\n', 'application/json', /needs Content-Type: multipart\/mixed; boundary=/],
    ['a boundary the body never uses', '--other\r\n\r\n--other--', undefined, /has no boundary line/],
    ['no closing boundary', `--${BOUNDARY}\r\nContent-Type: application/http\r\n\r\nGET Assets HTTP/1.1\r\n\r\n`, undefined, /does not end with --/],
    ['a part that is not application/http', `--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${BOUNDARY}--`, undefined, /each operation is an application\/http part/],
    ['no request line', `--${BOUNDARY}\r\nContent-Type: application/http\r\n\r\nthis is not a request line\r\n--${BOUNDARY}--`, undefined, /does not start with a request line/],
    ['a header line without a colon', `--${BOUNDARY}\r\nContent-Type: application/http\r\n\r\nGET Assets HTTP/1.1\r\nnot a header\r\n\r\n\r\n--${BOUNDARY}--`, undefined, /malformed header line/],
    ['a Content-Length past the body', `--${BOUNDARY}\r\nContent-Type: application/http\r\n\r\nPOST Assets HTTP/1.1\r\nContent-Length: 500\r\n\r\n{}\r\n--${BOUNDARY}--`, undefined, /Content-Length: 500 but holds 2 bytes/],
  ])('%s: 400', async (_name, body, contentType, message) => {
    const res = await refusal(body, contentType);
    expect(res.status, res.text).toBe(400);
    expect(JSON.parse(res.text)['odata.error'].message.value).toMatch(message);
  });

  it('refuses a query inside a changeset and a changeset inside a changeset', async () => {
    const query = batchBody(BOUNDARY, [{ changeset: [{ method: 'GET', url: 'Assets' }] }]);
    expect((await refusal(query)).text).toMatch(/may only hold POST, PUT, MERGE, PATCH or DELETE/);
    const nested = `--${BOUNDARY}\r\nContent-Type: multipart/mixed; boundary=cs1\r\n\r\n--cs1\r\nContent-Type: multipart/mixed; boundary=cs2\r\n\r\n--cs2--\r\n--cs1--\r\n--${BOUNDARY}--`;
    const res = await refusal(nested);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/changesets cannot be nested/);
  });

  it('refuses more than 100 parts, and answers in Atom when the client asked for XML', async () => {
    const many = batchBody(BOUNDARY, Array.from({ length: 101 }, () => ({ method: 'GET', url: 'MediaProcessors' })));
    const res = await refusal(many, undefined, 'multipart/mixed, application/atom+xml');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/xml/);
    expect(rootText(parseXml(res.text).children.find((c) => c.local === 'message')!, 'message', METADATA_NS)).toMatch(/more than 100 parts/);
  });

  it('a task body nested 100,000 deep, folded into its job, is a 400 part, not a stack overflow', async () => {
    const deep = `{"Name":"t","Configuration":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const res = await postBatch([
      {
        changeset: [
          { method: 'POST', url: 'Jobs', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'deep' }) },
          { method: 'POST', url: '$1/Tasks', contentId: '2', headers: JSON_HEADERS, body: deep },
        ],
      },
    ]);
    const [failure] = changeset(answered(res)[0]);
    expect(failure!.status, failure!.body.slice(0, 300)).toBe(400);
    expect(failure!.body).toMatch(/Operation 2: The request body nests deeper than 32 levels/);
    expect((await emu.ams('GET', 'Jobs')).body.value).toEqual([]);
  });

  it('answers GET $batch with 405, and the process serves the next request', async () => {
    expect((await emu.ams('GET', '$batch')).status).toBe(405);
    expect((await emu.ams('GET', 'MediaProcessors')).status).toBe(200);
  });
});

describe('the job-create batches of the SDKs', () => {
  const FILE = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypisom'), Buffer.alloc(12), Buffer.from('batched job content')]);

  async function expectDecrypted(jobId: string): Promise<void> {
    const job = await getJob(emu, jobId);
    expect(job.State, JSON.stringify(job)).toBe(3);
    const outputs = await emu.ams('GET', `${entityPath('Jobs', jobId)}/OutputMediaAssets`);
    const files = await downloadAsset(emu, outputs.body.value[0].Id);
    expect(files.get('clip.mp4')?.equals(FILE)).toBe(true);
  }

  it('the Java SDK: Content-IDs in the inner headers, absolute URLs, $1/Tasks, a raw id in the InputMediaAssets link', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'clip.mp4', data: FILE }]);
    const java = { 'Content-Type': 'application/atom+xml;type=entry', DataServiceVersion: '3.0;NetFx', MaxDataServiceVersion: '3.0;NetFx' };
    const job =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:ns2="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:ns3="http://schemas.microsoft.com/ado/2007/08/dataservices">' +
      `<link href="${emu.url}Assets('${input.assetId}')" rel="http://schemas.microsoft.com/ado/2007/08/dataservices/related/InputMediaAssets" type="application/atom+xml;type=feed" title="InputMediaAssets"/>` +
      '<content type="application/xml"><ns2:properties><ns3:Name>StorageDecryptionJob</ns3:Name><ns3:Priority>3</ns3:Priority></ns2:properties></content></entry>';
    const task =
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:ns2="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:ns3="http://schemas.microsoft.com/ado/2007/08/dataservices">' +
      `<content type="application/xml"><ns2:properties><ns3:Name>StorageDecryptionTask</ns3:Name><ns3:MediaProcessorId>${STORAGE_DECRYPTION}</ns3:MediaProcessorId>` +
      `<ns3:TaskBody>${taskBody().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</ns3:TaskBody></ns2:properties></content></entry>`;
    const res = await postBatch(
      [
        {
          changeset: [
            { method: 'POST', url: `${emu.url}Jobs`, contentId: '1', headers: java, body: job },
            { method: 'POST', url: `${emu.url}$1/Tasks`, contentId: '2', headers: java, body: task },
          ],
        },
      ],
      { Accept: 'application/atom+xml' },
    );
    const [jobCreated, taskCreated] = changeset(answered(res)[0]);
    expect(jobCreated, jobCreated!.body).toMatchObject({ status: 201, headers: { 'content-id': '1' } });
    expect(taskCreated, taskCreated!.body).toMatchObject({ status: 201, headers: { 'content-id': '2' } });
    // The parts are Atom entries Java unmarshals (its JobInfo and TaskInfo).
    const jobEntry = atomProperties(atomEntries(parseXml(jobCreated!.body))[0]!);
    const taskEntry = atomProperties(atomEntries(parseXml(taskCreated!.body))[0]!);
    expect(jobEntry).toMatchObject({ Name: 'StorageDecryptionJob', Priority: '3' });
    expect(taskEntry).toMatchObject({ Name: 'StorageDecryptionTask', MediaProcessorId: STORAGE_DECRYPTION });
    expect(taskCreated!.headers['location']).toBe(`${emu.url}${entityPath('Tasks', taskEntry['Id']!)}`);
    await expectDecrypted(jobEntry['Id']!);
  });

  it('the .NET SDK: Accept multipart/mixed, full entities with m:null, the Task posted to $1/Tasks', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'clip.mp4', data: FILE }]);
    const H = '<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">';
    const job =
      `${H}<link rel="http://schemas.microsoft.com/ado/2007/08/dataservices/related/InputMediaAssets" type="application/atom+xml;type=feed" title="InputMediaAssets" href="${emu.url}${entityPath('Assets', input.assetId)}" />` +
      '<id /><title /><updated>2026-11-28T20:00:00Z</updated><author><name /></author><content type="application/xml"><m:properties><d:Created m:type="Edm.DateTime">0001-01-01T00:00:00</d:Created><d:EndTime m:null="true" /><d:Id m:null="true" /><d:LastModified m:type="Edm.DateTime">0001-01-01T00:00:00</d:LastModified><d:Name>Decrypt</d:Name><d:Priority m:type="Edm.Int32">0</d:Priority><d:RunningDuration m:type="Edm.Double">0</d:RunningDuration><d:StartTime m:null="true" /><d:State m:type="Edm.Int32">0</d:State><d:TemplateId m:null="true" /></m:properties></content></entry>';
    const task =
      `${H}<id /><title /><updated>2026-11-28T20:00:00Z</updated><author><name /></author><content type="application/xml"><m:properties><d:Configuration></d:Configuration><d:EncryptionKeyId m:null="true" /><d:EncryptionScheme m:null="true" /><d:EncryptionVersion m:null="true" /><d:EndTime m:null="true" /><d:ErrorDetails /><d:HistoricalEvents /><d:Id></d:Id><d:InitializationVector m:null="true" />` +
      `<d:MediaProcessorId>${STORAGE_DECRYPTION}</d:MediaProcessorId><d:Name>Decrypt task</d:Name><d:Options m:type="Edm.Int32">0</d:Options><d:PerfMessage m:null="true" /><d:Priority m:type="Edm.Int32">0</d:Priority><d:Progress m:type="Edm.Double">0</d:Progress><d:RunningDuration m:type="Edm.Double">0</d:RunningDuration><d:StartTime m:null="true" /><d:State m:type="Edm.Int32">0</d:State>` +
      `<d:TaskBody>${taskBody().replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')}</d:TaskBody></m:properties></content></entry>`;
    const dotnet = { 'Content-Type': 'application/atom+xml;type=entry', Accept: 'application/atom+xml,application/xml', DataServiceVersion: '3.0;NetFx', MaxDataServiceVersion: '3.0;NetFx' };
    const res = await postBatch(
      [
        {
          changeset: [
            { method: 'POST', url: `${emu.url}Jobs`, contentId: '1', headers: dotnet, body: job },
            { method: 'POST', url: `${emu.url}$1/Tasks`, contentId: '2', headers: dotnet, body: task },
          ],
        },
      ],
      { DataServiceVersion: '1.0;NetFx', MaxDataServiceVersion: '3.0;NetFx' },
    );
    const [jobCreated, taskCreated] = changeset(answered(res)[0]);
    expect(jobCreated!.status, jobCreated!.body).toBe(201);
    expect(taskCreated!.status, taskCreated!.body).toBe(201);
    const jobId = atomProperties(atomEntries(parseXml(jobCreated!.body))[0]!)['Id']!;
    const taskEntry = atomEntries(parseXml(taskCreated!.body))[0]!;
    // Progress is a double the SDK materialises into a non-nullable CLR double.
    expect(atomProperties(taskEntry)['Progress']).not.toBeNull();
    expect(parseXml(taskCreated!.body).children.some((c) => c.local === 'category')).toBe(true);
    await expectDecrypted(jobId);
  });

  it('a task in another format than its job fails the changeset, and no job is left behind', async () => {
    const input = await uploadEncryptedAsset(emu, [{ name: 'clip.mp4', data: FILE }]);
    const res = await postBatch([
      {
        changeset: [
          { method: 'POST', url: 'Jobs', contentId: '1', headers: JSON_HEADERS, body: JSON.stringify({ Name: 'j', 'InputMediaAssets@odata.bind': [`${emu.url}${entityPath('Assets', input.assetId)}`] }) },
          { method: 'POST', url: '$1/Tasks', contentId: '2', headers: { 'Content-Type': 'application/atom+xml' }, body: '<entry xmlns="http://www.w3.org/2005/Atom"/>' },
        ],
      },
    ]);
    const [failure] = changeset(answered(res)[0]);
    expect(failure!.status).toBe(400);
    expect(failure!.body).toMatch(/Operation 2 posts to the Tasks of an entity created in the same changeset in another format/);
    expect(await count('Jobs')).toBe(0);
  });
});
