import { randomBytes, randomUUID } from 'node:crypto';
import { AccessPermissions, entityPath } from '../../../../client/src/index.js';
import type { Target } from '../../target/target.js';
import type { Resources } from '../../workflow/resources.js';
import { plannedKey } from '../../workflow/storage-keys.js';
import type { EntityExtras, Properties } from './formats.js';

/** What a create needs from the run: the endpoint, a place to track what it makes, a name to give. */
export interface CreateEnv {
  target: Target;
  resources: Resources;
  /** A name for the entity (Name property), as generated. */
  name: string;
  storageDecryptionProcessorId: string | undefined;
}

export interface CreateRequest {
  properties: Properties;
  extras?: EntityExtras;
  /** The property the response must echo, and its value. */
  echo: { property: string; value: string };
}

/** An entity set the kit knows: its id form and what it supports. */
export interface EntitySetSpec {
  set: string;
  /** The `nb:<tag>:UUID:` of its ids; undefined when its key is not an nb id (StorageAccounts). */
  tag: string | undefined;
  /** The key property when it is neither Id (nb ids) nor Name (StorageAccounts). */
  key?: string;
  /** How to create one (with whatever it depends on); undefined for read-only sets. */
  create?: (env: CreateEnv) => Promise<CreateRequest>;
  /** A MERGE body changing one property, and the value to read back. */
  merge?: (name: string) => { properties: Properties; echo: { property: string; value: string } };
  /** Tracked under this set for cleanup when created. */
  tracked?: 'Assets' | 'ContentKeys' | 'AccessPolicies' | 'Locators' | 'Jobs';
  /** Track what the create made besides the entity (a job's output assets). */
  afterCreate?: (target: Target, resources: Resources, id: string) => Promise<void>;
  /** Wait until the entity may be deleted (a job must have ended). */
  beforeDelete?: (target: Target, id: string) => Promise<void>;
}

const string = (value: string): Properties[string] => ({ type: 'Edm.String', value });
const int32 = (value: number): Properties[string] => ({ type: 'Edm.Int32', value });

async function asset(env: CreateEnv, name: string): Promise<string> {
  const created = await env.target.client().createAsset({ Name: name, Options: 0 });
  env.resources.track('Assets', created.Id);
  return created.Id;
}

export const ENTITY_SETS: readonly EntitySetSpec[] = [
  {
    set: 'Assets',
    tag: 'cid',
    tracked: 'Assets',
    create: async ({ name }) => ({ properties: { Name: string(name), Options: int32(0) }, echo: { property: 'Name', value: name } }),
    merge: (name) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
  },
  {
    set: 'Files',
    tag: 'cid',
    create: async (env) => {
      const fileName = `${fileNameOf(env.name)}.bin`;
      const parent = await asset(env, 'ams-conformance-files');
      return {
        properties: {
          Name: string(fileName),
          ParentAssetId: string(parent),
          IsEncrypted: { type: 'Edm.Boolean', value: false },
          MimeType: string('application/octet-stream'),
          ContentFileSize: { type: 'Edm.Int64', value: 0n },
        },
        echo: { property: 'Name', value: fileName },
      };
    },
    merge: () => ({ properties: { MimeType: string('text/plain') }, echo: { property: 'MimeType', value: 'text/plain' } }),
  },
  {
    set: 'ContentKeys',
    tag: 'kid',
    tracked: 'ContentKeys',
    create: async ({ target, name }) => {
      const planned = await plannedKey(target, { key: randomBytes(32) });
      const r = planned.request;
      return {
        properties: {
          Id: string(r.Id),
          Name: string(name),
          EncryptedContentKey: string(r.EncryptedContentKey),
          ContentKeyType: int32(r.ContentKeyType),
          ProtectionKeyId: string(r.ProtectionKeyId),
          ProtectionKeyType: int32(r.ProtectionKeyType ?? 0),
          Checksum: string(r.Checksum ?? ''),
        },
        echo: { property: 'Name', value: name },
      };
    },
    merge: (name) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
  },
  {
    set: 'AccessPolicies',
    tag: 'pid',
    tracked: 'AccessPolicies',
    create: async ({ name }) => ({
      properties: { Name: string(name), DurationInMinutes: { type: 'Edm.Double', value: 60 }, Permissions: int32(AccessPermissions.Read) },
      echo: { property: 'Name', value: name },
    }),
  },
  {
    set: 'Locators',
    tag: 'lid',
    tracked: 'Locators',
    create: async (env) => {
      const assetId = await asset(env, 'ams-conformance-locators');
      const policy = await env.target.client().createAccessPolicy({ Name: 'ams-conformance-locator', DurationInMinutes: 60, Permissions: AccessPermissions.Read });
      env.resources.track('AccessPolicies', policy.Id);
      return {
        properties: {
          AccessPolicyId: string(policy.Id),
          AssetId: string(assetId),
          Type: int32(1),
          StartTime: { type: 'Edm.DateTime', value: new Date(Math.floor(Date.now() / 1000) * 1000 - 5 * 60_000) },
          Name: string(env.name),
        },
        echo: { property: 'AssetId', value: assetId },
      };
    },
  },
  {
    set: 'Jobs',
    tag: 'jid',
    tracked: 'Jobs',
    create: async (env) => {
      if (!env.storageDecryptionProcessorId) throw new Error('no media processor to run a job with');
      const input = await asset(env, 'ams-conformance-job-input');
      return {
        properties: { Name: string(env.name) },
        extras: {
          bind: { InputMediaAssets: [env.target.raw.url(entityPath('Assets', input))] },
          inline: {
            Tasks: [
              {
                Name: string('ams-conformance task'),
                MediaProcessorId: string(env.storageDecryptionProcessorId),
                TaskBody: string('<?xml version="1.0" encoding="utf-16"?><taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetCreationOptions="0" assetName="ams-conformance-job-output">JobOutputAsset(0)</outputAsset></taskBody>'),
                Configuration: string(''),
                Options: int32(0),
              },
            ],
          },
        },
        echo: { property: 'Name', value: env.name },
      };
    },
    merge: (name) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
    afterCreate: async (target, resources, id) => {
      for (const output of await target.client().listJobOutputAssets(id)) resources.track('Assets', output.Id);
    },
    beforeDelete: waitForJobEnd,
  },
  {
    // A queue endpoint: the service did not check that the queue exists at create (the Java SDK's tests).
    set: 'NotificationEndPoints',
    tag: 'nepid',
    create: async ({ name }) => ({
      properties: { Name: string(name), EndPointType: int32(1), EndPointAddress: string('ams-conformance-notifications') },
      echo: { property: 'Name', value: name },
    }),
    merge: (name) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
  },
  {
    set: 'IngestManifests',
    tag: 'mid',
    create: async ({ name }) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
    merge: (name) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
  },
  {
    set: 'IngestManifestAssets',
    tag: 'maid',
    create: async (env) => {
      const manifest = await ingestManifest(env);
      const assetId = await asset(env, 'ams-conformance-ingest');
      return { properties: { ParentIngestManifestId: string(manifest) }, extras: { bind: { Asset: [env.target.raw.url(entityPath('Assets', assetId))] } }, echo: { property: 'ParentIngestManifestId', value: manifest } };
    },
  },
  {
    set: 'IngestManifestFiles',
    tag: 'mfid',
    create: async (env) => {
      const manifest = await ingestManifest(env);
      const assetId = await asset(env, 'ams-conformance-ingest');
      const made = await env.target.raw.send('POST', {
        path: 'IngestManifestAssets',
        contentType: 'application/json',
        body: JSON.stringify({ ParentIngestManifestId: manifest, 'Asset@odata.bind': env.target.raw.url(entityPath('Assets', assetId)) }),
      });
      if (made.status !== 201) throw new Error(`POST IngestManifestAssets answered ${made.status}: ${made.text.slice(0, 300)}`);
      const manifestAsset = (JSON.parse(made.text) as { Id: string }).Id;
      const fileName = `${fileNameOf(env.name)}.bin`;
      return {
        properties: { Name: string(fileName), ParentIngestManifestId: string(manifest), ParentIngestManifestAssetId: string(manifestAsset), MimeType: string('application/octet-stream') },
        echo: { property: 'Name', value: fileName },
      };
    },
    merge: () => ({ properties: { MimeType: string('text/plain') }, echo: { property: 'MimeType', value: 'text/plain' } }),
  },
  {
    set: 'AssetDeliveryPolicies',
    tag: 'adpid',
    create: async ({ name }) => ({
      // NoDynamicEncryption for progressive download: the .NET scenario test's clear policy.
      properties: { Name: string(name), AssetDeliveryProtocol: int32(16), AssetDeliveryPolicyType: int32(2), AssetDeliveryConfiguration: { type: 'Edm.String', value: null } },
      echo: { property: 'Name', value: name },
    }),
    merge: (name) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
  },
  {
    set: 'ContentKeyAuthorizationPolicies',
    tag: 'ckpid',
    create: async ({ name }) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
    merge: (name) => ({ properties: { Name: string(name) }, echo: { property: 'Name', value: name } }),
  },
  {
    // The REST reference's template: one TaskTemplate, inline, with an id the client chose. Never updated (no merge).
    set: 'JobTemplates',
    tag: 'jtid',
    create: async (env) => {
      if (!env.storageDecryptionProcessorId) throw new Error('no media processor to make a task template with');
      const taskTemplateId = `nb:ttid:UUID:${randomUUID()}`;
      const body = `<?xml version="1.0" encoding="utf-8"?><jobTemplate><taskBody taskTemplateId="${taskTemplateId}"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody></jobTemplate>`;
      return {
        properties: { Name: string(env.name), TemplateType: int32(1), NumberofInputAssets: int32(1), JobTemplateBody: string(body) },
        extras: {
          inline: {
            TaskTemplates: [
              {
                Id: string(taskTemplateId),
                Name: string('ams-conformance task template'),
                MediaProcessorId: string(env.storageDecryptionProcessorId),
                Configuration: string(''),
                NumberofInputAssets: int32(1),
                NumberofOutputAssets: int32(1),
                Options: int32(0),
              },
            ],
          },
        },
        echo: { property: 'Name', value: env.name },
      };
    },
  },
  { set: 'TaskTemplates', tag: 'ttid' },
  { set: 'Tasks', tag: 'tid' },
  { set: 'MediaProcessors', tag: 'mpid' },
  { set: 'StorageAccounts', tag: undefined },
  // The account's one row, keyed by its AccountId (an Edm.Guid).
  { set: 'EncodingReservedUnitTypes', tag: undefined, key: 'AccountId' },
  // Created and changed through operations (202): streaming.ts checks those; here they are read.
  { set: 'StreamingEndpoints', tag: 'oid' },
  { set: 'Operations', tag: 'opid' },
];

/** A manifest for the ingest sets' entities (left for the endpoint's cleanup; deleting it would take them along). */
async function ingestManifest(env: CreateEnv): Promise<string> {
  const res = await env.target.raw.send('POST', { path: 'IngestManifests', contentType: 'application/json', body: JSON.stringify({ Name: 'ams-conformance-ingest' }) });
  if (res.status !== 201) throw new Error(`POST IngestManifests answered ${res.status}: ${res.text.slice(0, 300)}`);
  return (JSON.parse(res.text) as { Id: string }).Id;
}

/** File names may not hold URL-reserved characters: keep the generated name's letters and digits. */
function fileNameOf(name: string): string {
  const kept = name.replace(/[^A-Za-z0-9_-]/g, '');
  return kept === '' ? 'file' : kept;
}

const FINAL_JOB_STATES = new Set([3, 4, 5]);

async function waitForJobEnd(target: Target, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let delay = 50; Date.now() < deadline; delay = Math.min(delay * 2, 1000)) {
    const job = await target.client().getJob(id);
    if (FINAL_JOB_STATES.has(job.State)) return;
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  throw new Error(`the job ${id} did not end within 60 s, so it cannot be deleted`);
}
