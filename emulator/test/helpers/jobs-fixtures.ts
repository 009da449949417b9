/**
 * The storage-encryption upload the SDKs do (content key, asset, link, file entities, a write SAS
 * locator, blocks encrypted with AES-CTR through @azure/storage-blob, MERGE of the size), and the
 * job and download calls the jobs and origin tests build on. Everything goes through real HTTP.
 */
import { randomBytes } from 'node:crypto';
import { BlockBlobClient, ContainerClient } from '@azure/storage-blob';
import { expect } from 'vitest';
import { amsCtr, formatIv, randomIv } from '../../../client/src/crypto/index.js';
import { entityPath, quoted, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { createAsset, createFile, createPolicy, createSasLocator, createStorageKey, linkKey, protectionKey, type NewKeyOptions } from './api-fixtures.js';

export const STORAGE_DECRYPTION = 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10';

export interface ClearFile {
  name: string;
  data: Buffer;
  /** MimeType of the file entity (default video/mp4; null: none). */
  mimeType?: string | null;
  /** Store it unencrypted (IsEncrypted false) instead. */
  clear?: boolean;
  /** The InitializationVector text to store instead of the decimal IV used to encrypt (a client bug). */
  ivText?: string;
}

export interface UploadOptions {
  /** Link the key to the asset (default true). */
  link?: boolean;
  /** Name the key in each file's EncryptionKeyId (default true). */
  fileKeyId?: boolean;
  key?: NewKeyOptions;
}

export interface UploadedAsset {
  assetId: string;
  keyId: string;
  key: Buffer;
  files: { name: string; data: Buffer; id: string }[];
}

/** A storage-encrypted asset holding `files`, uploaded as the .NET SDK does it. */
export async function uploadEncryptedAsset(emu: TestEmulator, files: ClearFile[], options: UploadOptions = {}): Promise<UploadedAsset> {
  const protection = await protectionKey(emu);
  const key = await createStorageKey(emu, protection, options.key);
  const asset = await createAsset(emu, { Name: 'to decrypt', Options: 1 });
  const assetId = String(asset.Id);
  if (options.link !== false) await linkKey(emu, assetId, key.id);
  const made: { file: ClearFile; id: string; blob: Buffer }[] = [];
  for (const file of files) {
    const iv = randomIv();
    const body: JsonBody = file.clear
      ? { Name: file.name, ParentAssetId: assetId, IsEncrypted: false }
      : {
          Name: file.name,
          ParentAssetId: assetId,
          IsEncrypted: true,
          EncryptionScheme: 'StorageEncryption',
          EncryptionVersion: '1.0',
          InitializationVector: file.ivText ?? formatIv(iv),
          ...(options.fileKeyId === false ? {} : { EncryptionKeyId: key.id }),
        };
    if (file.mimeType !== null) body['MimeType'] = file.mimeType ?? 'video/mp4';
    const entity = await createFile(emu, body);
    made.push({ file, id: String(entity.Id), blob: file.clear ? file.data : amsCtr(key.key, iv, file.data) });
  }
  const policy = await createPolicy(emu, 2);
  const locator = await createSasLocator(emu, assetId, String(policy.Id));
  for (const { file, id, blob } of made) {
    await new BlockBlobClient(`${locator.BaseUri}/${encodeURIComponent(file.name)}${locator.ContentAccessComponent}`).uploadData(blob, { blockSize: 1024 * 1024 });
    const merge = await emu.ams('MERGE', entityPath('Files', id), { body: { ContentFileSize: String(file.data.length) } });
    expect(merge.status, merge.text).toBe(204);
  }
  expect((await emu.ams('DELETE', entityPath('Locators', String(locator.Id)))).status).toBe(204);
  return { assetId, keyId: key.id, key: key.key, files: made.map(({ file, id }) => ({ name: file.name, data: file.data, id })) };
}

export function taskBody(options: { input?: string; output?: string; assetName?: string; creationOptions?: string } = {}): string {
  return (
    '<?xml version="1.0" encoding="utf-16"?><taskBody>' +
    `<inputAsset>${options.input ?? 'JobInputAsset(0)'}</inputAsset>` +
    `<outputAsset assetCreationOptions="${options.creationOptions ?? '0'}" assetName="${options.assetName ?? 'Decrypted'}">${options.output ?? 'JobOutputAsset(0)'}</outputAsset>` +
    '</taskBody>'
  );
}

export type JobForm = 'verbose' | 'minimal' | 'atom';

/** POST Jobs in one of the three forms clients use, with one Storage Decryption task. */
/** A JobNotificationSubscription as every form carries it. */
export interface JobSubscription {
  NotificationEndPointId: string;
  TargetJobState: number;
}

export async function postJob(
  emu: TestEmulator,
  inputAssetIds: string[],
  form: JobForm,
  options: { name?: string; tasks?: { MediaProcessorId?: string; TaskBody?: string; Name?: string; Configuration?: string }[]; subscriptions?: JobSubscription[] } = {},
) {
  const subscribed = options.subscriptions ? { JobNotificationSubscriptions: options.subscriptions } : {};
  const tasks = options.tasks ?? [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() }];
  const assetUrl = (id: string) => `${emu.url}${entityPath('Assets', id)}`;
  if (form === 'verbose') {
    return emu.ams('POST', 'Jobs', {
      headers: { 'Content-Type': 'application/json;odata=verbose', Accept: 'application/json;odata=verbose' },
      body: { Name: options.name ?? 'decrypt', InputMediaAssets: inputAssetIds.map((id) => ({ __metadata: { uri: assetUrl(id) } })), Tasks: tasks.map((t) => ({ Configuration: '', ...t })), ...subscribed },
    });
  }
  if (form === 'minimal') {
    return emu.ams('POST', 'Jobs', { body: { Name: options.name ?? 'decrypt', 'InputMediaAssets@odata.bind': inputAssetIds.map(assetUrl), Tasks: tasks, ...subscribed } });
  }
  const ATOM = 'http://www.w3.org/2005/Atom';
  const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
  const M = `${D}/metadata`;
  const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const properties = (values: Record<string, string | undefined>) =>
    Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `<d:${k}>${escape(v!)}</d:${k}>`)
      .join('');
  const taskEntries = tasks.map((t) => `<entry><content type="application/xml"><m:properties>${properties({ Configuration: '', ...t })}<d:Options m:type="Edm.Int32">0</d:Options></m:properties></content></entry>`).join('');
  const links = inputAssetIds.map((id) => `<link rel="${D}/related/InputMediaAssets" type="application/atom+xml;type=feed" title="InputMediaAssets" href="${escape(assetUrl(id))}" />`).join('');
  // As the .NET SDK wrote them (the REST reference's captured job create): one d:element per subscription.
  const atomSubscriptions = options.subscriptions
    ? `<d:JobNotificationSubscriptions>${options.subscriptions.map((sub) => `<d:element><d:NotificationEndPointId>${escape(sub.NotificationEndPointId)}</d:NotificationEndPointId><d:TargetJobState m:type="Edm.Int32">${sub.TargetJobState}</d:TargetJobState></d:element>`).join('')}</d:JobNotificationSubscriptions>`
    : '';
  const body =
    `<?xml version="1.0" encoding="utf-8"?><entry xmlns="${ATOM}" xmlns:d="${D}" xmlns:m="${M}">${links}` +
    `<link rel="${D}/related/Tasks" type="application/atom+xml;type=feed" title="Tasks"><m:inline><feed>${taskEntries}</feed></m:inline></link>` +
    `<id /><title /><updated>2013-04-20T22:41:57Z</updated><author><name /></author><content type="application/xml"><m:properties>${properties({ Name: options.name ?? 'decrypt' })}${atomSubscriptions}</m:properties></content></entry>`;
  return emu.ams('POST', 'Jobs', { headers: { 'Content-Type': 'application/atom+xml', Accept: 'application/atom+xml' }, body });
}

/** The job id in a 201 answer of any form. */
export function jobIdOf(res: { text: string; body: JsonBody }): string {
  if (res.body) return String(res.body.d?.Id ?? res.body.Id);
  const m = /<d:Id>([^<]+)<\/d:Id>/.exec(res.text);
  if (!m) throw new Error(`no job id in ${res.text.slice(0, 300)}`);
  return m[1]!;
}

export async function getJob(emu: TestEmulator, jobId: string): Promise<JsonBody> {
  const res = await emu.ams('GET', entityPath('Jobs', jobId));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

export async function listOf(emu: TestEmulator, path: string): Promise<JsonBody[]> {
  const res = await emu.ams('GET', path);
  expect(res.status, res.text).toBe(200);
  return res.body.value as JsonBody[];
}

export async function cancelJob(emu: TestEmulator, jobId: string) {
  return emu.ams('GET', `CancelJob?jobid=${quoted(jobId)}`);
}

/** Every file of an asset, downloaded through a read SAS locator as the SDKs download. */
export async function downloadAsset(emu: TestEmulator, assetId: string): Promise<Map<string, Buffer>> {
  const policy = await createPolicy(emu, 1);
  const locator = await createSasLocator(emu, assetId, String(policy.Id));
  const out = new Map<string, Buffer>();
  const container = new ContainerClient(`${locator.BaseUri}${locator.ContentAccessComponent}`);
  for (const file of await listOf(emu, `${entityPath('Assets', assetId)}/Files`)) {
    out.set(String(file.Name), await container.getBlockBlobClient(String(file.Name)).downloadToBuffer());
  }
  expect((await emu.ams('DELETE', entityPath('Locators', String(locator.Id)))).status).toBe(204);
  return out;
}

/** Bytes that are not all alike, so an offset or key mistake cannot go unnoticed. */
export function sample(size: number): Buffer {
  return randomBytes(size);
}

/** POST Jobs (minimal JSON, one Storage Decryption task) over a fresh encrypted input, with these JobNotificationSubscriptions. */
export async function postSubscribedJob(emu: TestEmulator, subscriptions: JsonBody[], name = 'notified') {
  const { assetId } = await uploadEncryptedAsset(emu, [{ name: 'a.mp4', data: sample(16) }]);
  return emu.ams('POST', 'Jobs', {
    body: {
      Name: name,
      'InputMediaAssets@odata.bind': [`${emu.url}${entityPath('Assets', assetId)}`],
      Tasks: [{ MediaProcessorId: STORAGE_DECRYPTION, TaskBody: taskBody() }],
      JobNotificationSubscriptions: subscriptions,
    },
  });
}
