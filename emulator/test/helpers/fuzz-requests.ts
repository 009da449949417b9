/**
 * Generated requests for the fuzz suite, across every surface the emulator listens on: the OData
 * API (and its `$batch`), the token endpoints, `/_emulator/*`, `/origin/*`, and HTTP that is
 * malformed before any of them sees it. A case is a template: ids are picked from a pool of
 * entities that exist when it runs (filled by the valid requests mixed in), so junk lands next to
 * real data and deep code paths are reached.
 *
 * Each case says what a correct answer looks like: which error body its surface speaks, which
 * format the client asked for (`any` when its Accept or $format does not determine one), and
 * whether Node may refuse it before the application (malformed HTTP).
 */
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { contentKeyChecksum, formatIv, formatKeyId, randomIv, wrapContentKey } from '../../../client/src/crypto/index.js';
import type { WireFormat } from '../../src/odata/format.js';
import {
  amplifyingFilter,
  atomEntry,
  filterExpression,
  hostileString,
  hostileXml,
  invalidUtf8,
  junkJsonValue,
  keyForm,
  keySegment,
  malformedId,
  namesWithPathSegments,
  nestedJson,
  outOfRangeDate,
  oversizedFilter,
  pathSafe,
  pct,
  spliceBytes,
  unusableCertificate,
  xmlEscape,
  ID_TAGS,
} from './fuzz-values.js';
import type { WireRequest } from './fuzz-wire.js';

export type Surface = 'odata' | 'oauth' | 'origin';
export type ExpectedFormat = WireFormat | 'any';

/** Entity sets whose ids the pool keeps. */
export const POOL_SETS = ['Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators', 'Jobs', 'Tasks', 'AssetDeliveryPolicies', 'ContentKeyAuthorizationPolicies', 'ContentKeyAuthorizationPolicyOptions', 'JobTemplates'] as const;
export type PoolSet = (typeof POOL_SETS)[number];

export interface FuzzPool {
  /** API root, ending in `/api/` (for link URIs in bodies). */
  apiUrl: string;
  protection: { thumbprint: string; certificate: string };
  ids: Record<PoolSet, string[]>;
  /** Files served by an OnDemandOrigin locator: its GUID and the file's name. */
  originFiles: { guid: string; name: string }[];
  /** The default StreamingEndpoint, started by the seed so the origin serves whatever endpoints the run creates. */
  streamingEndpointId: string;
}

export interface FuzzCase {
  /** Which generator made it (for the statistics and messages). */
  family: string;
  surface: Surface;
  format: ExpectedFormat;
  /** Node's HTTP parser may refuse it (a bare 4xx and a close, or a dropped connection). */
  malformedHttp: boolean;
  /** `POST /api/<set>` whose 201 adds an id to the pool. */
  creates?: PoolSet;
  build(pool: FuzzPool): WireRequest;
}

type Header = readonly [string, string | Buffer];
type Build = (pool: FuzzPool) => WireRequest;

// ------------------------------------------------------------------ picking ids

/** An index into a pool list, resolved when the case runs. */
const slot = fc.nat(1_000);

function pickId(pool: FuzzPool, set: PoolSet, index: number): string | undefined {
  const ids = pool.ids[set];
  return ids.length === 0 ? undefined : ids[index % ids.length];
}

/** A key's text: an entity that exists (mostly), a well-formed unknown id, or something malformed. */
type KeyRef = (pool: FuzzPool) => string;

function keyRef(set: string): fc.Arbitrary<KeyRef> {
  const tag = Object.hasOwn(ID_TAGS, set) ? (ID_TAGS as Record<string, string>)[set]! : 'cid';
  const poolSet = (POOL_SETS as readonly string[]).includes(set) ? (set as PoolSet) : undefined;
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(slot, fc.uuid()).map(([i, uuid]): KeyRef => (pool) => (poolSet && pickId(pool, poolSet, i)) ?? `nb:${tag}:UUID:${uuid}`) },
    { weight: 1, arbitrary: fc.uuid().map((uuid): KeyRef => () => `nb:${tag}:UUID:${uuid}`) },
    { weight: 3, arbitrary: malformedId.map((id): KeyRef => () => id) },
  );
}

// ------------------------------------------------------------------ headers

interface AcceptChoice {
  header?: string;
  format: ExpectedFormat;
}

const ACCEPTS: readonly AcceptChoice[] = [
  { format: 'json-minimal' },
  { header: 'application/json', format: 'json-minimal' },
  { header: 'application/json;odata=verbose', format: 'json-verbose' },
  { header: 'application/json;odata=minimalmetadata', format: 'json-minimal' },
  { header: 'application/json;odata=nometadata', format: 'json-nometadata' },
  { header: 'application/atom+xml', format: 'atom' },
  { header: 'application/atom+xml,application/xml', format: 'atom' },
  { header: 'application/xml', format: 'atom' },
  { header: 'text/xml', format: 'atom' },
  { header: '*/*', format: 'json-minimal' },
  { header: 'application/atom+xml;q=0.5, application/json;odata=verbose', format: 'json-verbose' },
  { header: 'application/json;odata=verbose;charset=utf-8', format: 'json-verbose' },
];

const JUNK_ACCEPTS = ['text/html', 'image/*', ';;;', 'application/json;q=abc', 'multipart/mixed', 'application/*;q=0', '*/*;q=0', 'application/json;odata=fullmetadata', 'text/plain, text/html', ',', 'application/atom+xml;q=2'];

const acceptChoice: fc.Arbitrary<AcceptChoice> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ACCEPTS) },
  { weight: 2, arbitrary: fc.constantFrom(...JUNK_ACCEPTS).map((header): AcceptChoice => ({ header, format: 'any' })) },
  { weight: 1, arbitrary: hostileString.map((text): AcceptChoice => ({ header: headerSafe(text), format: 'any' })) },
);

/** `$format` values with the format they ask for; a junk one asks for nothing, so the Accept header's choice stands. */
const FORMAT_OPTIONS: readonly (readonly [string, WireFormat | undefined])[] = [
  ['json', 'json-minimal'],
  ['atom', 'atom'],
  ['xml', 'atom'],
  ['verbosejson', 'json-verbose'],
  [pct('application/json;odata=verbose'), 'json-verbose'],
  ['JSON', 'json-minimal'],
  ['html', undefined],
  ['', undefined],
  ['%zz', undefined],
  [pct('application/json;odata=nometadata'), 'json-nometadata'],
  ['jsonp', undefined],
];

interface FormatChoice {
  accept: AcceptChoice;
  /** The raw `$format=` value to append, if any. */
  option?: string;
  format: ExpectedFormat;
}

const formatChoice: fc.Arbitrary<FormatChoice> = fc
  .tuple(acceptChoice, fc.option(fc.constantFrom(...FORMAT_OPTIONS), { freq: 6, nil: undefined }))
  .map(([accept, option]): FormatChoice => {
    if (option === undefined) return { accept, format: accept.format };
    const [text, format] = option;
    // A $format that names nothing leaves the choice to Accept; '%zz' cannot even be decoded.
    return { accept, option: text, format: format ?? accept.format };
  });

const CONTENT_TYPES = [
  'application/json',
  'application/json;odata=verbose',
  'application/json;odata=minimalmetadata',
  'application/json; charset=utf-8',
  'application/atom+xml',
  'application/atom+xml;type=entry;charset=utf-8',
  'application/xml',
  'text/xml',
];
const JUNK_CONTENT_TYPES = [
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=junk',
  'application/json; charset="utf-8"',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/mixed; boundary=x',
  'application/octet-stream',
  'application/json;;;',
  '*/*',
  'json',
  '',
  'application/json, application/xml',
];

const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
  { weight: 1, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.constantFrom(...JUNK_CONTENT_TYPES) },
  { weight: 1, arbitrary: hostileString.map(headerSafe) },
);

/** A header value Node accepts: no control characters but tab, bytes as latin1 (UTF-8 text arrives as its bytes). */
export function headerSafe(text: string): string {
  return Buffer.from(text.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ''), 'utf8').toString('latin1').slice(0, 8000);
}

const version: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('2.19') },
  { weight: 3, arbitrary: fc.constantFrom<string | undefined>('2.0', '2.11', undefined, '', 'junk', '3.0', '2.19.1', ' 2.19 ', '2.2', '1.0', '-2', '2.19, 2.0', '9'.repeat(500)) },
);

const authorization: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 12, arbitrary: fc.constant('Bearer fuzz-token') },
  { weight: 3, arbitrary: fc.constantFrom<string | undefined>(undefined, 'Basic YTpi', 'Bearer', 'Bearer a b', 'bearer x', '', 'Bearer ' + 'x'.repeat(6000), 'Bearer eyJhbGciOiJub25lIn0.e30.') },
);

/** Headers beyond the basics: version negotiation junk, tunnelling, compression, huge values. */
const extraHeader: fc.Arbitrary<Header[]> = fc.oneof(
  fc.constantFrom('1.0', '3.0', '0.0', '-1', '99', 'x', '3.0;NetFx', '').map((v): Header[] => [['DataServiceVersion', v]]),
  fc.constantFrom('1.0', '3.0', '0.0', '-1', '99', 'x', '3.0;NetFx', '').map((v): Header[] => [['MaxDataServiceVersion', v]]),
  fc.constantFrom('return-no-content', 'return-content', 'junk', '').map((v): Header[] => [['Prefer', v]]),
  fc.constantFrom('*', 'W/"x"', 'junk').map((v): Header[] => [['If-Match', v]]),
  hostileString.map((v): Header[] => [['client-request-id', headerSafe(v)]]),
  hostileString.map((v): Header[] => [['User-Agent', Buffer.from(v.replace(/[\r\n\u0000-\u001f\u007f]/g, ''), 'utf8')]]),
  fc.integer({ min: 100, max: 14_000 }).map((n): Header[] => [['X-Fuzz-Large', 'v'.repeat(n)]]),
  fc.integer({ min: 10, max: 900 }).map((n): Header[] => Array.from({ length: n }, (_, i): Header => [`X-F${i}`, 'v'])),
  fc.constantFrom('bytes=0-10', 'bytes=junk', 'items=0-1').map((v): Header[] => [['Range', v]]),
  fc.constant<Header[]>([['Expect', '100-continue']]),
  fc.constantFrom('gzip', 'en-US', '*').map((v): Header[] => [['Accept-Encoding', v]]),
);

// ------------------------------------------------------------------ paths and queries

const REAL_SETS = [
  'Assets', 'Files', 'ContentKeys', 'AccessPolicies', 'Locators', 'Jobs', 'Tasks', 'MediaProcessors', 'StorageAccounts', 'EncodingReservedUnitTypes',
  'NotificationEndPoints', 'IngestManifests', 'IngestManifestAssets', 'IngestManifestFiles',
  'StreamingEndpoints', 'Operations', 'AssetDeliveryPolicies', 'ContentKeyAuthorizationPolicies', 'ContentKeyAuthorizationPolicyOptions',
  'JobTemplates', 'TaskTemplates',
] as const;
const OTHER_SETS = ['assets', 'Asset', 'ASSETS', 'Channels', 'Programs', 'notificationendpoints', 'operations', 'streamingendpoints', 'jobtemplates', '$metadata', '$batch', '$count', '$links', '$value'];
const PROPERTIES: Record<string, readonly string[]> = {
  Assets: ['Name', 'Options', 'Uri', 'State', 'AlternateId', 'StorageAccountName'],
  Files: ['Name', 'ContentFileSize', 'IsEncrypted', 'InitializationVector', 'ParentAssetId'],
  ContentKeys: ['Checksum', 'EncryptedContentKey', 'ContentKeyType'],
  AccessPolicies: ['DurationInMinutes', 'Permissions'],
  Locators: ['Path', 'ExpirationDateTime', 'Type'],
  Jobs: ['State', 'Name', 'JobNotificationSubscriptions'],
  Tasks: ['ErrorDetails', 'HistoricalEvents', 'TaskBody', 'Progress'],
  MediaProcessors: ['Name', 'Version'],
  StorageAccounts: ['Name', 'IsDefault'],
  EncodingReservedUnitTypes: ['CurrentReservedUnits', 'ReservedUnitType', 'AccountId'],
  NotificationEndPoints: ['Name', 'EndPointType', 'EndPointAddress', 'CredentialType'],
  IngestManifests: ['Name', 'State', 'Statistics', 'BlobStorageUriForUpload'],
  IngestManifestAssets: ['ParentIngestManifestId'],
  IngestManifestFiles: ['Name', 'State', 'IsEncrypted', 'InitializationVector', 'ErrorDetail'],
  // Entity actions are segments after the key too.
  StreamingEndpoints: ['Name', 'State', 'ScaleUnits', 'CacheControl', 'CustomHostNames', 'AccessControl', 'Start', 'Stop', 'Scale'],
  Operations: ['State', 'ErrorCode', 'TargetEntityId'],
  AssetDeliveryPolicies: ['AssetDeliveryProtocol', 'AssetDeliveryPolicyType', 'AssetDeliveryConfiguration'],
  ContentKeyAuthorizationPolicies: ['Name'],
  ContentKeyAuthorizationPolicyOptions: ['KeyDeliveryType', 'Restrictions', 'KeyDeliveryConfiguration'],
  JobTemplates: ['Name', 'JobTemplateBody', 'TemplateType', 'NumberofInputAssets'],
  TaskTemplates: ['Configuration', 'MediaProcessorId', 'NumberofOutputAssets'],
};
const NAVIGATIONS: Record<string, readonly string[]> = {
  Assets: ['Files', 'ContentKeys', 'Locators', 'ParentAssets', 'StorageAccount', 'DeliveryPolicies'],
  Locators: ['Asset', 'AccessPolicy'],
  Jobs: ['Tasks', 'InputMediaAssets', 'OutputMediaAssets'],
  Tasks: ['InputMediaAssets', 'OutputMediaAssets'],
  IngestManifests: ['IngestManifestAssets', 'PendingIngestManifestAssets', 'StorageAccount'],
  IngestManifestAssets: ['Asset', 'IngestManifestFiles'],
  ContentKeyAuthorizationPolicies: ['Options'],
  JobTemplates: ['TaskTemplates'],
};
const FUNCTION_NAMES = ['GetProtectionKeyId', 'GetProtectionKey', 'RebindContentKey', 'CreateFileInfos', 'CancelJob', 'Publish', 'getprotectionkeyid'];

const entitySet: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...REAL_SETS) },
  { weight: 2, arbitrary: fc.constantFrom(...OTHER_SETS) },
  { weight: 1, arbitrary: hostileString },
);

/** A property or navigation name of the set, or of another set, or junk. */
function segmentName(names: Record<string, readonly string[]>, set: string): fc.Arbitrary<string> {
  const own = Object.hasOwn(names, set) ? names[set]! : [];
  const all = [...new Set(Object.values(names).flat())];
  return fc.oneof(
    { weight: 5, arbitrary: own.length > 0 ? fc.constantFrom(...own) : fc.constantFrom(...all) },
    { weight: 2, arbitrary: fc.constantFrom(...all, '$value', '$count', '$links', '$ref') },
    { weight: 1, arbitrary: hostileString },
  );
}

type PathBuild = (pool: FuzzPool) => string;

const apiPath: fc.Arbitrary<{ path: PathBuild; set: string }> = entitySet.chain((set) => {
  const key = fc.tuple(keyRef(set), keyForm).map(([ref, form]) => (pool: FuzzPool) => keySegment(ref(pool), form));
  const base = `/api/${pathSafe(set)}`;
  const shapes: fc.Arbitrary<PathBuild>[] = [
    fc.constantFrom('', '/', '/$count', '/$count/', '//', '/$count/$value').map((suffix): PathBuild => () => `${base}${suffix}`),
    key.map((k): PathBuild => (pool) => `${base}${k(pool)}`),
    fc.tuple(key, segmentName(PROPERTIES, set), fc.constantFrom('', '/$value', '/', '/x')).map(([k, prop, tail]): PathBuild => (pool) => `${base}${k(pool)}/${pathSafe(prop)}${tail}`),
    fc.tuple(key, segmentName(NAVIGATIONS, set), fc.constantFrom('', '/$count', '/Files', "('x')")).map(([k, nav, tail]): PathBuild => (pool) => `${base}${k(pool)}/${pathSafe(nav)}${tail}`),
    fc
      .tuple(key, segmentName(NAVIGATIONS, set), fc.option(fc.tuple(keyRef('ContentKeys'), keyForm), { nil: undefined }))
      .map(([k, nav, target]): PathBuild => (pool) => `${base}${k(pool)}/$links/${pathSafe(nav)}${target ? keySegment(target[0](pool), target[1]) : ''}`),
  ];
  return fc.oneof(...shapes).map((path) => ({ path, set }));
});

const otherApiPath: fc.Arbitrary<PathBuild> = fc.oneof(
  fc.constantFrom('/api/', '/api', '/API/', '/api//', '/api/$metadata', '/api/$metadata/x', '/api/$batch/x', '/api%2FAssets', '/API%2FAssets', '/api/Assets%00', '/api/%2e%2e/_emulator/state', '/api/../_emulator/state', '/api/Assets;x=1', '/api/Assets/', '/api/Assets(', '/api/(', "/api/')'", '/api/%', '/api/%zz', '/api/%ff').map((p): PathBuild => () => p),
  fc.tuple(fc.constantFrom(...FUNCTION_NAMES), fc.array(fc.tuple(fc.constantFrom('contentKeyType', 'ProtectionKeyId', 'protectionkeyid', 'id', 'x509Certificate', 'assetid', 'jobid', 'x'), fc.oneof(keyRef('Assets'), keyRef('Jobs'), keyRef('ContentKeys'), hostileString.map((s): KeyRef => () => s))), { maxLength: 3 }), fc.boolean()).map(
    ([fn, params, quote]): PathBuild =>
      (pool) => `/api/${fn}${params.length > 0 ? '?' : ''}${params.map(([name, value]) => `${name}=${quote ? pct(`'${value(pool).replace(/'/g, "''")}'`) : pct(value(pool))}`).join('&')}`,
  ),
  fc.tuple(fc.constantFrom(...FUNCTION_NAMES), keyRef('Assets')).map(([fn, ref]): PathBuild => (pool) => `/api/${fn}('${pathSafe(ref(pool))}')`),
  hostileString.map((s): PathBuild => () => `/api/${pathSafe(s)}`),
  fc.array(hostileString, { minLength: 2, maxLength: 5 }).map((parts): PathBuild => () => `/api/${parts.map(pathSafe).join('/')}`),
);

const countValue = fc.oneof(
  fc.constantFrom('-1', '1e30', '1E30', '0', '1', '5', '1000', '1001', '99999999999', '2147483648', '2147483647', '', 'abc', '+5', '0x10', '5.0', ' 5', '05', '%2B5', '1%00', '٣'),
  fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
);

const queryPart: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: countValue.map((v) => `$top=${pct(v)}`) },
  { weight: 2, arbitrary: countValue.map((v) => `$skip=${pct(v)}`) },
  { weight: 4, arbitrary: filterExpression.map((f) => `$filter=${pct(f)}`) },
  { weight: 1, arbitrary: oversizedFilter.map((f) => `$filter=${pct(f)}`) },
  { weight: 2, arbitrary: amplifyingFilter.map((f) => `$filter=${pct(f)}`) },
  { weight: 2, arbitrary: fc.constantFrom('Name', 'Name desc', 'Created asc,Name', 'Name DESC', 'Name asc asc', 'Nope', '', ',', 'Files/Name', 'length(Name)').map((v) => `$orderby=${pct(v)}`) },
  { weight: 2, arbitrary: fc.constantFrom('Name', 'Id,Name', '*', 'Files', 'Nope', '', ',', 'Name,', 'Files/Name').map((v) => `$select=${pct(v)}`) },
  { weight: 1, arbitrary: fc.constantFrom('allpages', 'none', 'AllPages', '', 'x').map((v) => `$inlinecount=${v}`) },
  { weight: 1, arbitrary: fc.constantFrom('$expand=Files', '$skiptoken=x', '$count=true', '$TOP=5', '%24top=5', '$=1', '$', 'api-version=2.19', 'keepcontainer=true', 'keepcontainer=junk', '&&', '=', '+', '%zz=1', '$top=1&$top=2', '$filter=Name%20eq%20%27a%27&$filter=Name%20eq%20%27b%27', '$callback=x') },
  { weight: 1, arbitrary: fc.tuple(hostileString, hostileString).map(([n, v]) => `${pct(n)}=${pct(v)}`) },
  { weight: 1, arbitrary: hostileString.map((n) => `$${pct(n)}=1`) },
);

const query: fc.Arbitrary<string[]> = fc.array(queryPart, { maxLength: 4 });

function target(path: string, parts: readonly string[], format: FormatChoice): string {
  const all = [...parts, ...(format.option !== undefined ? [`$format=${format.option}`] : [])];
  if (all.length === 0) return path;
  return `${path}${path.includes('?') ? '&' : '?'}${all.join('&')}`;
}

// ------------------------------------------------------------------ bodies

/** A request body, built when the case runs (valid bodies need ids from the pool). */
interface BodyChoice {
  label: string;
  contentEncoding?: string;
  /** `Content-Length` framing: the body is cut or padded, or sent chunked. */
  framing?: 'chunked' | 'short' | 'long';
  build(pool: FuzzPool, set: string): Buffer;
}

function validEntity(pool: FuzzPool, set: string, index: number): Record<string, unknown> {
  const asset = pickId(pool, 'Assets', index) ?? 'nb:cid:UUID:00000000-0000-0000-0000-000000000000';
  switch (set) {
    case 'Assets':
      return { Name: `fuzz-${index}`, Options: index % 2 };
    case 'Files':
      return {
        Name: `file-${index}-${randomBytes(3).toString('hex')}.mp4`,
        ParentAssetId: asset,
        IsEncrypted: true,
        EncryptionScheme: 'StorageEncryption',
        EncryptionVersion: '1.0',
        EncryptionKeyId: pickId(pool, 'ContentKeys', index) ?? null,
        InitializationVector: formatIv(randomIv()),
        MimeType: 'video/mp4',
      };
    case 'ContentKeys':
      return storageKeyBody(pool);
    case 'AccessPolicies':
      return { Name: `policy-${index}`, DurationInMinutes: 60 + (index % 5), Permissions: index % 3 === 0 ? 2 : 1 };
    case 'Locators':
      return { AssetId: asset, AccessPolicyId: pickId(pool, 'AccessPolicies', index) ?? 'nb:pid:UUID:00000000-0000-0000-0000-000000000000', Type: index % 2 === 0 ? 1 : 2 };
    case 'Jobs':
      return {
        Name: `job-${index}`,
        'InputMediaAssets@odata.bind': [`${pool.apiUrl}Assets('${encodeURIComponent(asset)}')`],
        Tasks: [{ MediaProcessorId: 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10', TaskBody: TASK_BODY }],
      };
    case 'NotificationEndPoints':
      return index % 2 === 0 ? { Name: `endpoint-${index}`, EndPointType: 1, EndPointAddress: `fuzzqueue${index}` } : { Name: `hook-${index}`, EndPointType: 3, EndPointAddress: `http://127.0.0.1:9/hook/${index}`, CredentialType: 0 };
    case 'IngestManifests':
      return { Name: `manifest-${index}` };
    case 'IngestManifestAssets':
      return { ParentIngestManifestId: `nb:mid:UUID:00000000-0000-0000-0000-${String(index).padStart(12, '0')}`, Asset: { Id: asset } };
    case 'IngestManifestFiles':
      return {
        Name: `bulk-${index}.mp4`,
        ParentIngestManifestId: `nb:mid:UUID:00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
        ParentIngestManifestAssetId: `nb:maid:UUID:00000000-0000-0000-0000-${String(index).padStart(12, '0')}`,
        IsEncrypted: 'true',
        EncryptionScheme: 'StorageEncryption',
        EncryptionVersion: '1.0',
        EncryptionKeyId: pickId(pool, 'ContentKeys', index) ?? null,
        InitializationVector: formatIv(randomIv()),
      };
    case 'AssetDeliveryPolicies':
      return index % 2 === 0
        ? { Name: `clear-${index}`, AssetDeliveryProtocol: 1 << index % 5, AssetDeliveryPolicyType: 2, AssetDeliveryConfiguration: null }
        : { Name: `aes-${index}`, AssetDeliveryProtocol: 7, AssetDeliveryPolicyType: 3, AssetDeliveryConfiguration: JSON.stringify([{ Key: 2, Value: `${pool.apiUrl.replace(/api\/$/, '')}keydelivery/` }]) };
    case 'ContentKeyAuthorizationPolicies':
      return { Name: `auth-${index}` };
    case 'JobTemplates': {
      // TaskTemplate ids are the client's and must be new: a fresh one per body.
      const taskTemplateId = `nb:ttid:UUID:${randomUUIDFrom(randomBytes(16))}`;
      return {
        Name: `template-${index}`,
        TemplateType: 1,
        JobTemplateBody: `<jobTemplate><taskBody taskTemplateId="${taskTemplateId}"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody></jobTemplate>`,
        TaskTemplates: [{ Id: taskTemplateId, MediaProcessorId: 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10', Configuration: '', NumberofInputAssets: 1, NumberofOutputAssets: 1 }],
      };
    }
    case 'ContentKeyAuthorizationPolicyOptions':
      return { Name: '', KeyDeliveryType: 2, KeyDeliveryConfiguration: '', Restrictions: [{ Name: 'Open', KeyRestrictionType: 0, Requirements: null }] };
    default:
      return { Name: `x-${index}` };
  }
}

const TASK_BODY = '<?xml version="1.0" encoding="utf-16"?><taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetCreationOptions="0" assetName="out">JobOutputAsset(0)</outputAsset></taskBody>';

/** A storage-encryption ContentKey body the emulator accepts: a fresh key wrapped with its protection certificate. */
export function storageKeyBody(pool: FuzzPool, type: 1 | 4 = 1): Record<string, unknown> {
  const key = randomBytes(type === 1 ? 32 : 16);
  const id = formatKeyId(randomUUIDFrom(randomBytes(16)));
  return {
    Id: id,
    ContentKeyType: type,
    EncryptedContentKey: wrapContentKey(pool.protection.certificate, key).toString('base64'),
    ProtectionKeyId: pool.protection.thumbprint,
    ProtectionKeyType: 0,
    Checksum: contentKeyChecksum(key, id, 'dotnet'),
  };
}

function randomUUIDFrom(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function atomOf(entity: Record<string, unknown>): string {
  const props: Record<string, string> = {};
  const typed: Record<string, string> = {};
  for (const [name, value] of Object.entries(entity)) {
    if (typeof value === 'object' && value !== null) continue;
    props[name] = xmlEscape(String(value));
    if (typeof value === 'number') typed[name] = 'Edm.Int32';
    if (typeof value === 'boolean') typed[name] = 'Edm.Boolean';
  }
  return atomEntry(props, { typed });
}

/** Change one thing in a valid entity: a wrong type, an unknown or hostile property, a removed field. */
const jsonMutation: fc.Arbitrary<(entity: Record<string, unknown>) => unknown> = fc.oneof(
  fc.tuple(fc.nat(20), junkJsonValue).map(([i, value]) => (entity: Record<string, unknown>) => {
    const keys = Object.keys(entity);
    return keys.length === 0 ? entity : { ...entity, [keys[i % keys.length]!]: value };
  }),
  fc.nat(20).map((i) => (entity: Record<string, unknown>) => {
    const keys = Object.keys(entity);
    const copy = { ...entity };
    delete copy[keys[i % Math.max(keys.length, 1)]!];
    return copy;
  }),
  fc.tuple(hostileString, junkJsonValue).map(([name, value]) => (entity: Record<string, unknown>) => ({ ...entity, [name]: value })),
  fc.constantFrom('__proto__', 'constructor', 'odata.type', '__metadata', 'Id', 'Uri', 'State', 'Created', 'odata.metadata', '@odata.bind', 'Tasks', 'InputMediaAssets').chain((name) => junkJsonValue.map((value) => (entity: Record<string, unknown>) => JSON.parse(`{${JSON.stringify(name)}:${JSON.stringify(value) ?? 'null'},${JSON.stringify(entity).slice(1)}`) as unknown)),
  fc.constant((entity: Record<string, unknown>) => ({ d: entity })),
  fc.constant((entity: Record<string, unknown>) => [entity]),
  fc.constant((entity: Record<string, unknown>) => ({ ...entity, __metadata: { type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.Asset', uri: 'junk' } })),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => (entity: Record<string, unknown>) => ({ ...entity, ...Object.fromEntries(Array.from({ length: n }, (_, i) => [`P${i}`, i])) })),
);

/** `$links` bodies: the key URL (right), another set's, a relative or hostile one, the wrong field, XML. */
const linkBody: fc.Arbitrary<BodyChoice> = fc
  .tuple(
    fc.constantFrom('key', 'asset', 'relative', 'other-host', 'hostile', 'empty'),
    slot,
    hostileString,
    fc.constantFrom('uri', 'url', '__metadata', 'URI', 'xml'),
  )
  .map(([kind, index, text, field]): BodyChoice => ({
    label: `link-${field}`,
    build: (pool) => {
      const key = pickId(pool, 'ContentKeys', index) ?? 'nb:kid:UUID:00000000-0000-0000-0000-000000000000';
      const uri =
        kind === 'key'
          ? `${pool.apiUrl}ContentKeys('${encodeURIComponent(key)}')`
          : kind === 'asset'
            ? `${pool.apiUrl}Assets('${encodeURIComponent(pickId(pool, 'Assets', index) ?? 'x')}')`
            : kind === 'relative'
              ? `ContentKeys('${key}')`
              : kind === 'other-host'
                ? `http://elsewhere.example/api/ContentKeys('${encodeURIComponent(key)}')`
                : kind === 'hostile'
                  ? text
                  : '';
      if (field === 'xml') return Buffer.from(`<uri xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices">${xmlEscape(uri)}</uri>`);
      return json(field === '__metadata' ? { __metadata: { uri } } : { [field]: uri });
    },
  }));

/** The simulated encoders (model/media-processor.ts). */
const ENCODERS = { mes: 'nb:mpid:UUID:ff4df607-d419-42f0-bc17-a481b1331e56', wame: 'nb:mpid:UUID:2e7aa8f3-4961-4e0c-b4db-0e0439e524f5' } as const;

/** An encoder's Configuration: a preset it knows, one it does not, a custom JSON or XML preset, whole or broken. */
const encoderPreset: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('H264 Multiple Bitrate 720p', 'Adaptive Streaming', 'H.264 256k DSL CBR', 'h264 single bitrate 720P', 'H264 Multiple Bitrate 9000p'),
  fc
    .array(fc.record({ Bitrate: fc.oneof(fc.integer({ min: -1, max: 100_000 }), hostileString), Width: fc.integer({ min: 0, max: 8000 }), Height: fc.integer({ min: 0, max: 8000 }) }), { maxLength: 12 })
    .chain((layers) => fc.constantFrom(JSON.stringify({ Codecs: [{ Type: 'H264Video', H264Layers: layers }] }), JSON.stringify({ Codecs: layers }).slice(0, 40), `<Preset><H264Layers>${layers.map((l) => `<H264Layer><Bitrate>${String(l.Bitrate)}</Bitrate><Width>${l.Width}</Width><Height>${l.Height}</Height></H264Layer>`).join('')}</H264Layers></Preset>`)),
);

/** MERGE bodies for the account's reserved units: in range, past the quota, negative, of the wrong type, with the read-only properties. */
const reservedUnitsBody: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    CurrentReservedUnits: fc.oneof(fc.integer({ min: -3, max: 30 }), fc.constantFrom(400, 2 ** 31, '2', null), hostileString),
    ReservedUnitType: fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constantFrom('S1', null)),
    AccountId: fc.oneof(fc.uuid(), hostileString),
    MaxReservableUnits: fc.integer({ min: 0, max: 1000 }),
  },
  { requiredKeys: [] },
);

/** Job bodies whose tasks are wrong: a hostile or inconsistent TaskBody, an unknown processor, junk configuration. */
const jobBody: fc.Arbitrary<BodyChoice> = fc
  .tuple(
    slot,
    fc.oneof(
      hostileXml,
      fc.constantFrom(
        TASK_BODY.replace('JobInputAsset(0)', 'JobInputAsset(5)'),
        TASK_BODY.replace('JobInputAsset(0)', 'JobOutputAsset(0)'),
        TASK_BODY.replace('JobOutputAsset(0)', 'JobOutputAsset(1000)'),
        TASK_BODY.replace('assetCreationOptions="0"', 'assetCreationOptions="junk"'),
        TASK_BODY.replace('<inputAsset>JobInputAsset(0)</inputAsset>', ''),
        TASK_BODY.replace('taskBody', 'taskbody'),
        `${TASK_BODY}${TASK_BODY}`,
        '',
        '<taskBody/>',
      ),
    ),
    fc.constantFrom(
      'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10',
      ENCODERS.mes,
      ENCODERS.wame,
      'nb:mpid:UUID:233e57fc-36bb-4f6f-8f18-3b662747a9f8',
      'nb:mpid:UUID:00000000-0000-0000-0000-000000000000',
      'not-a-processor',
      '',
    ),
    fc.oneof(fc.constant(''), hostileString, encoderPreset),
    fc.integer({ min: 0, max: 3 }),
  )
  .map(([index, taskBody, processor, configuration, tasks]): BodyChoice => ({
    label: 'job-tasks',
    build: (pool) =>
      json({
        Name: 'fuzz-job',
        'InputMediaAssets@odata.bind': [`${pool.apiUrl}Assets('${encodeURIComponent(pickId(pool, 'Assets', index) ?? 'x')}')`],
        Tasks: Array.from({ length: tasks }, () => ({ MediaProcessorId: processor, TaskBody: taskBody, Configuration: configuration })),
      }),
  }));

/** Change one thing in a valid Atom entry: a wrong m:type, m:null on a required property, a property twice, an unknown one, content out of place. */
const atomMutation: fc.Arbitrary<(entry: string) => string> = fc.oneof(
  fc.constantFrom('Edm.Int32', 'Edm.Boolean', 'Edm.DateTime', 'Edm.Guid', 'Edm.Junk', 'Collection(Edm.String)', '').map((type) => (entry: string) => entry.replace(/<d:(\w+)>/, `<d:$1 m:type="${type}">`)),
  fc.constant((entry: string) => entry.replace(/<d:(\w+)(?: m:type="[^"]*")?>[^<]*<\/d:\1>/, '<d:$1 m:null="true" />')),
  fc.constant((entry: string) => entry.replace(/(<d:(\w+)[^>]*>[^<]*<\/d:\2>)/, '$1$1')),
  hostileString.map((name) => (entry: string) => entry.replace('</m:properties>', `<d:${/^[A-Za-z_][\w.-]*$/.test(name) ? name : 'Unknown'}>x</d:${/^[A-Za-z_][\w.-]*$/.test(name) ? name : 'Unknown'}></m:properties>`)),
  fc.constant((entry: string) => entry.replace('<content type="application/xml"><m:properties>', '<m:properties>').replace('</m:properties></content>', '</m:properties>')),
  fc.constant((entry: string) => entry.replace('xmlns:d=', 'xmlns:x=')),
  fc.constant((entry: string) => entry.replace(/<d:(\w+)>([^<]*)<\/d:\1>/, '<d:$1><![CDATA[$2]]></d:$1>')),
  fc.constant((entry: string) => entry.replace(/<d:(\w+)>[^<]*<\/d:\1>/, '<d:$1><d:Nested>1</d:Nested></d:$1>')),
  fc.constant((entry: string) => entry.replace('<entry ', '<feed xmlns="http://www.w3.org/2005/Atom"><entry ').concat('</feed>')),
);

const bodyChoice: fc.Arbitrary<BodyChoice> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(fc.nat(1_000), atomMutation).map(([i, mutate]): BodyChoice => ({ label: 'mutated-atom', build: (pool, set) => Buffer.from(mutate(atomOf(validEntity(pool, set, i)))) })) },
  { weight: 6, arbitrary: fc.nat(1_000).map((i): BodyChoice => ({ label: 'valid-json', build: (pool, set) => json(validEntity(pool, set, i)) })) },
  { weight: 2, arbitrary: linkBody },
  { weight: 2, arbitrary: jobBody },
  { weight: 2, arbitrary: fc.nat(1_000).map((i): BodyChoice => ({ label: 'valid-atom', build: (pool, set) => Buffer.from(atomOf(validEntity(pool, set, i))) })) },
  { weight: 6, arbitrary: fc.tuple(fc.nat(1_000), jsonMutation).map(([i, mutate]): BodyChoice => ({ label: 'mutated-json', build: (pool, set) => json(mutate(validEntity(pool, set, i))) })) },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 2, max: 300_000 }), fc.constantFrom<'array' | 'object' | 'mixed'>('array', 'object', 'mixed')).map(([depth, kind]): BodyChoice => ({ label: `nested-json-${depth}`, build: () => Buffer.from(nestedJson(depth, kind)) })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(1_000), fc.double({ min: 0, max: 1, noNaN: true })).map(([i, cut]): BodyChoice => ({ label: 'truncated-json', build: (pool, set) => { const text = json(validEntity(pool, set, i)); return text.subarray(0, Math.floor(text.length * cut)); } })) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(1_000), invalidUtf8, fc.nat(400)).map(([i, bytes, at]): BodyChoice => ({ label: 'invalid-utf8-json', build: (pool, set) => spliceBytes(JSON.stringify(validEntity(pool, set, i)), bytes, at) })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(1_000), fc.constantFrom('utf8-bom', 'utf16le-bom', 'utf16be', 'utf16le')).map(([i, enc]): BodyChoice => ({ label: `encoded-${enc}`, build: (pool, set) => encodeText(JSON.stringify(validEntity(pool, set, i)), enc) })) },
  { weight: 3, arbitrary: hostileXml.map((xml): BodyChoice => ({ label: 'hostile-xml', build: () => Buffer.from(xml) })) },
  { weight: 1, arbitrary: fc.tuple(hostileXml, invalidUtf8, fc.nat(300)).map(([xml, bytes, at]): BodyChoice => ({ label: 'hostile-xml-bytes', build: () => spliceBytes(xml, bytes, at) })) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 2_048 }).map((bytes): BodyChoice => ({ label: 'random-bytes', build: () => Buffer.from(bytes) })) },
  { weight: 2, arbitrary: junkJsonValue.map((value): BodyChoice => ({ label: 'junk-json', build: () => Buffer.from(JSON.stringify(value) ?? 'undefined') })) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '{}', '[]', 'null', '{"a":1}{"b":2}', '{"Name":"a","Name":"b"}', '{"Name":"\\ud800"}', '{"Name":"\\u0000"}', '{"Options":1e999}', '{"Options":-0}', '{"Name":' + '"x"'.repeat(2) + '}', 'grant_type=client_credentials').map((text): BodyChoice => ({ label: 'edge-json', build: () => Buffer.from(text) })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3_900_000 }).map((n): BodyChoice => ({ label: `long-string-${n}`, build: () => Buffer.from(JSON.stringify({ Name: 'n'.repeat(n), Options: 0 })) })) },
  { weight: 1, arbitrary: fc.integer({ min: 4 * 1024 * 1024 + 1, max: 6 * 1024 * 1024 }).map((n): BodyChoice => ({ label: `oversized-${n}`, build: () => Buffer.alloc(n, 0x20) })) },
  { weight: 1, arbitrary: fc.nat(1_000).map((i): BodyChoice => ({ label: 'gzip-json', contentEncoding: 'gzip', build: (pool, set) => gzipSync(json(validEntity(pool, set, i))) })) },
  { weight: 1, arbitrary: fc.constant<BodyChoice>({ label: 'gzip-bomb', contentEncoding: 'gzip', build: () => GZIP_BOMB }) },
  { weight: 1, arbitrary: fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'compress', 'x-junk', 'gzip, gzip', 'GZIP').map((encoding): BodyChoice => ({ label: `junk-${encoding}`, contentEncoding: encoding, build: () => Buffer.from('{"Name":"x"}') })) },
  { weight: 1, arbitrary: fc.tuple(fc.nat(1_000), fc.constantFrom<'chunked' | 'short' | 'long'>('chunked', 'short', 'long')).map(([i, framing]): BodyChoice => ({ label: `framing-${framing}`, framing, build: (pool, set) => json(validEntity(pool, set, i)) })) },
);

/** 64 MiB of zeros in 64 KiB: inflated past the body limit. */
const GZIP_BOMB = gzipSync(Buffer.alloc(64 * 1024 * 1024));

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value) ?? 'null');
}

function encodeText(text: string, encoding: string): Buffer {
  switch (encoding) {
    case 'utf8-bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 'utf16le-bom':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    case 'utf16be':
      return Buffer.from(text, 'utf16le').swap16();
    default:
      return Buffer.from(text, 'utf16le');
  }
}

// ------------------------------------------------------------------ methods

const METHODS_NODE_KNOWS = ['PROPFIND', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'PURGE', 'REPORT', 'TRACE', 'OPTIONS', 'NOTIFY', 'SUBSCRIBE', 'LINK', 'ACL', 'BIND'];
/** Methods llhttp does not parse (or CONNECT, which Node hands to an event nobody listens to). */
const METHODS_NODE_REFUSES = ['FOO', 'get', 'Get', 'M-SEARCHX', 'MERGEX', 'CONNECT', 'QUERYX', 'G\u00c9T'];

interface MethodChoice {
  method: string;
  malformed: boolean;
}

const method: fc.Arbitrary<MethodChoice> = fc.oneof(
  { weight: 20, arbitrary: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'MERGE', 'PATCH', 'PUT', 'DELETE', 'HEAD').map((m) => ({ method: m, malformed: false })) },
  { weight: 2, arbitrary: fc.constantFrom(...METHODS_NODE_KNOWS).map((m) => ({ method: m, malformed: false })) },
  { weight: 1, arbitrary: fc.constantFrom(...METHODS_NODE_REFUSES).map((m) => ({ method: m, malformed: true })) },
);

const tunnel: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 10, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom('MERGE', 'merge', 'DELETE', 'PUT', 'PATCH', 'GET', 'POST', 'FOO', '', ' MERGE ', 'MERGE, DELETE', 'x'.repeat(300)) },
);

// ------------------------------------------------------------------ the API surface

function apiHeaders(format: FormatChoice, type: string | undefined, parts: { version?: string; auth?: string; tunnel?: string; extra: Header[]; encoding?: string }): Header[] {
  const headers: Header[] = [];
  if (parts.auth !== undefined) headers.push(['Authorization', parts.auth]);
  if (parts.version !== undefined) headers.push(['x-ms-version', parts.version]);
  if (format.accept.header !== undefined) headers.push(['Accept', format.accept.header]);
  if (type !== undefined) headers.push(['Content-Type', type]);
  if (parts.tunnel !== undefined) headers.push(['X-HTTP-Method', parts.tunnel]);
  if (parts.encoding !== undefined) headers.push(['Content-Encoding', parts.encoding]);
  headers.push(...parts.extra);
  return headers;
}

function frame(request: WireRequest, body: BodyChoice | undefined): { request: WireRequest; malformed: boolean } {
  if (!body?.framing || request.body === undefined) return { request, malformed: false };
  switch (body.framing) {
    case 'chunked':
      return { request: { ...request, chunked: 7 }, malformed: false };
    case 'short':
      // The rest of the body is read as the next request on the connection: junk HTTP.
      return { request: { ...request, contentLength: Math.max(0, request.body.length - 5) }, malformed: true };
    case 'long':
      return { request: { ...request, contentLength: request.body.length + 100, halfClose: true }, malformed: true };
  }
}

/** Junk at every layer of an OData request: verb, path, key, query, headers and body. */
const apiJunk: fc.Arbitrary<FuzzCase> = fc
  .record({
    method,
    tunnel,
    path: fc.oneof({ weight: 5, arbitrary: apiPath }, { weight: 1, arbitrary: otherApiPath.map((path) => ({ path, set: 'Assets' })) }),
    query,
    format: formatChoice,
    type: contentType,
    version,
    auth: authorization,
    extra: fc.array(extraHeader, { maxLength: 2 }).map((lists) => lists.flat()),
    body: fc.option(bodyChoice, { freq: 3, nil: undefined }),
  })
  .map((r): FuzzCase => {
    const body = r.body;
    const malformedFraming = body?.framing === 'short' || body?.framing === 'long';
    return {
      family: `api/${body ? body.label.replace(/-\d+$/, '') : 'no-body'}`,
      surface: 'odata',
      format: r.format.format,
      malformedHttp: r.method.malformed || malformedFraming,
      build: (pool) => {
        const path = r.path.path(pool);
        const request: WireRequest = {
          method: r.method.method,
          target: target(path, r.query, r.format),
          headers: apiHeaders(r.format, r.type, { version: r.version, auth: r.auth, tunnel: r.tunnel, extra: r.extra, encoding: body?.contentEncoding }),
          body: body?.build(pool, r.path.set),
        };
        return frame(request, body).request;
      },
    };
  });

// ------------------------------------------------------------------ valid requests, to grow the state

const CLEAN: Header[] = [
  ['Authorization', 'Bearer fuzz-token'],
  ['x-ms-version', '2.19'],
  ['Accept', 'application/json'],
  ['DataServiceVersion', '3.0'],
  ['MaxDataServiceVersion', '3.0'],
];

/** A StreamingEndpoint create body: a valid or junk name, and settings valid, mistyped or nested wrongly. */
/** JobTemplate bodies near and far from valid: bad TemplateTypes, hostile or mismatched JobTemplateBody XML, odd TaskTemplates. */
const jobTemplateJunk: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    Name: hostileString,
    TemplateType: fc.constantFrom(0, 1, 2, '1', 'x', null, -1),
    NumberofInputAssets: fc.oneof(fc.integer({ min: -2, max: 3 }), fc.constantFrom('1', null, 1.5)),
    JobTemplateBody: fc.oneof(
      hostileString,
      fc.constantFrom(
        '<jobTemplate/>',
        '<jobTemplate><taskBody/></jobTemplate>',
        '<jobTemplate><taskBody taskTemplateId="nb:ttid:UUID:00000000-0000-0000-0000-000000000001"><inputAsset>JobInputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody></jobTemplate>',
        '<jobTemplate><taskBody taskTemplateId="junk"><inputAsset>JobOutputAsset(0)</inputAsset><outputAsset>JobOutputAsset(0)</outputAsset></taskBody></jobTemplate>',
        '<!DOCTYPE x [<!ENTITY a "b">]><jobTemplate>&a;</jobTemplate>',
        null,
      ),
    ),
    TaskTemplates: fc.oneof(
      fc.constantFrom(null, 'x', [], [{}], [{ Id: 'nb:ttid:UUID:00000000-0000-0000-0000-000000000001' }], { results: [] }),
      fc.array(fc.record({ Id: fc.oneof(hostileString, fc.uuid().map((u) => `nb:ttid:UUID:${u}`)), MediaProcessorId: hostileString, NumberofInputAssets: fc.integer(), Options: fc.integer({ min: -1, max: 8 }) }), { maxLength: 3 }),
    ),
  },
  { requiredKeys: [] },
);

const streamingEndpointBody: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    Name: fc.oneof(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}[a-z0-9]$/), hostileString),
    State: fc.constantFrom('Stopped', 'Running', 'Deleting', 3, null),
    ScaleUnits: fc.oneof(fc.integer({ min: -2, max: 12 }), fc.constantFrom('2', 1.5, null, {})),
    CdnEnabled: fc.oneof(fc.boolean(), fc.constantFrom('yes', null)),
    CustomHostNames: fc.oneof(fc.array(hostileString, { maxLength: 3 }), fc.constantFrom('one', null, [1, [2]], { results: ['a'] })),
    CacheControl: fc.oneof(fc.record({ MaxAge: fc.oneof(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String), fc.constantFrom(1800, 'x', null, [])) }), fc.constantFrom(null, 'big', [], { MaxAge: { deep: 1 } })),
    AccessControl: fc.oneof(
      fc.constantFrom(null, { IP: { Allow: [] } }, { IP: { Allow: null } }, { IP: { Allow: [{ Address: '1.2.3.4', SubnetPrefixLength: 'x' }] } }, { Akamai: { AkamaiSignatureHeaderAuthenticationKeyList: [{ Expiration: 'never' }] } }, { IP: 5 }),
      fc.record({ IP: fc.record({ Allow: fc.array(fc.record({ Name: hostileString, Address: hostileString, SubnetPrefixLength: fc.integer() }), { maxLength: 2 }) }) }),
    ),
    CrossSiteAccessPolicies: fc.oneof(fc.constantFrom(null, {}, 'x'), fc.record({ ClientAccessPolicy: hostileString, CrossDomainPolicy: hostileString })),
  },
  { requiredKeys: [] },
);

/** Bodies the service would take, so the family reaches 202 on any seed; the hostile ones above cover refusals. */
const acceptableStreamingEndpointBody: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    Name: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}[a-z0-9]$/),
    State: fc.constant('Stopped'),
    ScaleUnits: fc.integer({ min: 0, max: 4 }),
    CdnEnabled: fc.constant(false),
  },
  { requiredKeys: ['Name'] },
);

function validCase(family: string, creates: PoolSet | undefined, build: Build): FuzzCase {
  return { family: `valid/${family}`, surface: 'odata', format: 'json-minimal', malformedHttp: false, creates, build };
}

function postJson(path: string, body: unknown): WireRequest {
  return { method: 'POST', target: path, headers: [...CLEAN, ['Content-Type', 'application/json']], body: json(body) };
}

function entityTarget(set: string, id: string): string {
  return `/api/${set}('${encodeURIComponent(id)}')`;
}

/** String lengths around the property bounds (260, 512, 4000) and far past them (the 3.9 MB names of issue 13). */
const hugeLength: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(259, 260, 261, 511, 512, 513, 3999, 4000, 4001),
  fc.integer({ min: 4001, max: 3_900_000 }),
);

const validStep: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat(1_000), fc.constantFrom('json', 'verbose', 'atom')).map(([i, form]) => validCase('create-asset', 'Assets', () => createAssetRequest(i, form))) },
  { weight: 3, arbitrary: fc.constant(validCase('create-key', 'ContentKeys', (pool) => postJson('/api/ContentKeys', storageKeyBody(pool)))) },
  { weight: 3, arbitrary: fc.tuple(slot, slot).map(([a, k]) => validCase('link-key', undefined, (pool) => postJson(`${entityTarget('Assets', pickId(pool, 'Assets', a) ?? 'none')}/$links/ContentKeys`, { uri: `${pool.apiUrl}ContentKeys('${encodeURIComponent(pickId(pool, 'ContentKeys', k) ?? 'none')}')` }))) },
  { weight: 4, arbitrary: slot.map((i) => validCase('create-file', 'Files', (pool) => postJson('/api/Files', validEntity(pool, 'Files', i)))) },
  { weight: 2, arbitrary: slot.map((i) => validCase('create-policy', 'AccessPolicies', (pool) => postJson('/api/AccessPolicies', validEntity(pool, 'AccessPolicies', i)))) },
  { weight: 3, arbitrary: slot.map((i) => validCase('create-locator', 'Locators', (pool) => postJson('/api/Locators', validEntity(pool, 'Locators', i)))) },
  { weight: 2, arbitrary: slot.map((i) => validCase('create-job', 'Jobs', (pool) => postJson('/api/Jobs', validEntity(pool, 'Jobs', i)))) },
  { weight: 1, arbitrary: slot.map((i) => validCase('create-endpoint', undefined, (pool) => postJson('/api/NotificationEndPoints', validEntity(pool, 'NotificationEndPoints', i)))) },
  { weight: 1, arbitrary: slot.map((i) => validCase('create-manifest', undefined, (pool) => postJson('/api/IngestManifests', validEntity(pool, 'IngestManifests', i)))) },
  { weight: 1, arbitrary: slot.map((i) => validCase('create-job-template', 'JobTemplates', (pool) => postJson('/api/JobTemplates', validEntity(pool, 'JobTemplates', i)))) },
  {
    weight: 1,
    arbitrary: fc.tuple(slot, slot).map(([a, t]) =>
      validCase('create-job-from-template', 'Jobs', (pool) =>
        postJson('/api/Jobs', { Name: `templated-${t}`, 'InputMediaAssets@odata.bind': [`${pool.apiUrl}Assets('${encodeURIComponent(pickId(pool, 'Assets', a) ?? 'none')}')`], TemplateId: pickId(pool, 'JobTemplates', t) ?? null }),
      ),
    ),
  },
  { weight: 1, arbitrary: jobTemplateJunk.map((body) => validCase('job-template-junk', undefined, () => postJson('/api/JobTemplates', body))) },
  { weight: 2, arbitrary: fc.constant(validCase('create-envelope-key', 'ContentKeys', (pool) => postJson('/api/ContentKeys', storageKeyBody(pool, 4)))) },
  { weight: 2, arbitrary: slot.map((i) => validCase('create-delivery-policy', 'AssetDeliveryPolicies', (pool) => postJson('/api/AssetDeliveryPolicies', validEntity(pool, 'AssetDeliveryPolicies', i)))) },
  { weight: 1, arbitrary: slot.map((i) => validCase('create-authorization-policy', 'ContentKeyAuthorizationPolicies', (pool) => postJson('/api/ContentKeyAuthorizationPolicies', validEntity(pool, 'ContentKeyAuthorizationPolicies', i)))) },
  { weight: 1, arbitrary: slot.map((i) => validCase('create-option', 'ContentKeyAuthorizationPolicyOptions', (pool) => postJson('/api/ContentKeyAuthorizationPolicyOptions', validEntity(pool, 'ContentKeyAuthorizationPolicyOptions', i)))) },
  { weight: 2, arbitrary: fc.tuple(slot, slot).map(([a, p]) => validCase('link-delivery-policy', undefined, (pool) => postJson(`${entityTarget('Assets', pickId(pool, 'Assets', a) ?? 'none')}/$links/DeliveryPolicies`, { uri: `${pool.apiUrl}AssetDeliveryPolicies('${encodeURIComponent(pickId(pool, 'AssetDeliveryPolicies', p) ?? 'none')}')` }))) },
  { weight: 1, arbitrary: fc.tuple(slot, slot).map(([p, o]) => validCase('link-option', undefined, (pool) => postJson(`${entityTarget('ContentKeyAuthorizationPolicies', pickId(pool, 'ContentKeyAuthorizationPolicies', p) ?? 'none')}/$links/Options`, { uri: `${pool.apiUrl}ContentKeyAuthorizationPolicyOptions('${encodeURIComponent(pickId(pool, 'ContentKeyAuthorizationPolicyOptions', o) ?? 'none')}')` }))) },
  { weight: 1, arbitrary: fc.tuple(slot, slot).map(([k, p]) => validCase('authorize-key', undefined, (pool) => ({ ...postJson(entityTarget('ContentKeys', pickId(pool, 'ContentKeys', k) ?? 'none'), { AuthorizationPolicyId: pickId(pool, 'ContentKeyAuthorizationPolicies', p) ?? null }), method: 'MERGE' }))) },
  { weight: 6, arbitrary: fc.tuple(slot, fc.constantFrom(0, 1, 2, 2, 2, 3, 4, 7)).map(([k, type]) => validCase('get-key-delivery-url', undefined, (pool) => postJson(`${entityTarget('ContentKeys', pickId(pool, 'ContentKeys', k) ?? 'none')}/GetKeyDeliveryUrl`, { keyDeliveryType: type }))) },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom('Assets', 'Files', 'AccessPolicies', 'Locators', 'ContentKeys'), fc.nat(1_000), atomMutation, fc.constantFrom('POST', 'MERGE')).map(([set, i, mutate, verb]): FuzzCase => ({
      family: 'valid/atom-junk',
      surface: 'odata',
      format: 'atom',
      malformedHttp: false,
      build: (pool) => ({
        method: verb,
        target: verb === 'POST' ? `/api/${set}` : entityTarget(set, pickId(pool, set as PoolSet, i) ?? 'none'),
        headers: [...CLEAN.filter(([n]) => n !== 'Accept'), ['Accept', 'application/atom+xml,application/xml'], ['Content-Type', 'application/atom+xml']],
        body: Buffer.from(mutate(atomOf(validEntity(pool, set, i)))),
      }),
    })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(reservedUnitsBody, fc.constantFrom("guid'83e6aeb1-3c53-5f7d-a18d-de746a23da2a'", "guid'00000000-0000-0000-0000-000000000001'", "guid'junk'", "'83e6aeb1-3c53-5f7d-a18d-de746a23da2a'"), fc.constantFrom('MERGE', 'PATCH', 'PUT')).map(([body, key, verb]) =>
      validCase('reserved-units', undefined, () => ({ method: verb, target: `/api/EncodingReservedUnitTypes(${pct(key)})`, headers: [...CLEAN, ['Content-Type', 'application/json']], body: json(body) })),
    ),
  },
  { weight: 2, arbitrary: jobBody.map((body) => validCase('job-junk', 'Jobs', (pool) => ({ method: 'POST', target: '/api/Jobs', headers: [...CLEAN, ['Content-Type', 'application/json']], body: body.build(pool, 'Jobs') }))) },
  {
    weight: 2,
    arbitrary: fc.tuple(slot, linkBody, fc.constantFrom('POST', 'DELETE', 'GET')).map(([a, body, verb]) =>
      validCase('link-junk', undefined, (pool) => ({ method: verb, target: `${entityTarget('Assets', pickId(pool, 'Assets', a) ?? 'none')}/$links/ContentKeys`, headers: [...CLEAN, ['Content-Type', body.label === 'link-xml' ? 'application/xml' : 'application/json']], body: body.build(pool, 'Assets') })),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom<PoolSet>('Assets', 'Files', 'ContentKeys'), slot, hostileString).map(([set, i, name]) =>
      validCase('merge', undefined, (pool) => ({ method: 'MERGE', target: entityTarget(set, pickId(pool, set, i) ?? 'none'), headers: [...CLEAN, ['Content-Type', 'application/json']], body: json({ Name: name }) })),
    ),
  },
  {
    // Huge properties (issue 13): a valid create or MERGE with one string at, just past, or far past
    // its bound; a stored one must never make the state unsaveable.
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom<PoolSet>('Assets', 'Files', 'AccessPolicies', 'Locators', 'Jobs'), slot, fc.constantFrom('Name', 'AlternateId', 'MimeType'), hugeLength, fc.constantFrom('POST', 'MERGE'))
      .map(([set, i, property, length, verb]) =>
        validCase('huge-property', verb === 'POST' ? set : undefined, (pool) => {
          const entity = validEntity(pool, set, i);
          const name = Object.hasOwn(entity, property) || set !== 'Assets' ? 'Name' : property;
          const body = verb === 'POST' ? { ...entity, [name]: 'n'.repeat(length) } : { [name]: 'n'.repeat(length) };
          return { method: verb, target: verb === 'POST' ? `/api/${set}` : entityTarget(set, pickId(pool, set, i) ?? 'none'), headers: [...CLEAN, ['Content-Type', 'application/json']], body: json(body) };
        }),
      ),
  },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom<PoolSet>(...POOL_SETS), slot).map(([set, i]) => validCase('delete', undefined, (pool) => ({ method: 'DELETE', target: entityTarget(set, pickId(pool, set, i) ?? 'none'), headers: CLEAN }))) },
  { weight: 2, arbitrary: fc.oneof(acceptableStreamingEndpointBody, streamingEndpointBody).map((body) => validCase('streaming-endpoint', undefined, () => postJson('/api/StreamingEndpoints', body))) },
  {
    weight: 2,
    // Not Stop of the default endpoint: the origin family needs it running. An unknown id reaches every check before the lookup.
    arbitrary: fc
      .tuple(fc.constantFrom('Start', 'Scale', 'unknown/Stop', 'unknown/Start', 'unknown/Scale'), fc.oneof(fc.constant(''), streamingEndpointBody.map((b) => JSON.stringify(b)), fc.constantFrom('{"scaleUnits":2}', '{"scaleUnits":-1}', '{"ScaleUnits":"x"}', '[]')))
      .map(([action, body]) =>
        validCase(`streaming-${action.replace('unknown/', 'unknown-')}`, undefined, (pool) => {
          const id = action.startsWith('unknown/') ? 'nb:oid:UUID:00000000-0000-4000-8000-000000000000' : pool.streamingEndpointId;
          return { method: 'POST', target: `${entityTarget('StreamingEndpoints', id)}/${action.replace('unknown/', '')}`, headers: [...CLEAN, ['Content-Type', 'application/json']], body: Buffer.from(body) };
        }),
      ),
  },
  { weight: 1, arbitrary: streamingEndpointBody.map((body) => validCase('streaming-merge', undefined, (pool) => ({ method: 'MERGE', target: entityTarget('StreamingEndpoints', pool.streamingEndpointId), headers: [...CLEAN, ['Content-Type', 'application/json']], body: json(body) }))) },
  {
    weight: 4,
    arbitrary: fc.tuple(fc.constantFrom(...REAL_SETS), fc.option(filterExpression, { nil: undefined }), fc.integer({ min: 0, max: 2000 })).map(([set, filter, top]) =>
      validCase('list', undefined, () => ({ method: 'GET', target: `/api/${set}?$top=${top}&$inlinecount=allpages${filter ? `&$filter=${pct(filter)}` : ''}`, headers: CLEAN })),
    ),
  },
  {
    weight: 3,
    arbitrary: fc.tuple(fc.constantFrom('Assets', 'Files', 'Jobs', 'Tasks'), fc.oneof(filterExpression, amplifyingFilter, oversizedFilter)).map(([set, filter]) =>
      validCase('filter', undefined, () => ({ method: 'GET', target: `/api/${set}?$filter=${pct(filter)}`, headers: CLEAN })),
    ),
  },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom<PoolSet>(...POOL_SETS), slot, fc.constantFrom('', '/Files', '/ContentKeys', '/Locators', '/Tasks', '/InputMediaAssets', '/OutputMediaAssets', '/$links/ContentKeys', '/Asset', '/AccessPolicy')).map(([set, i, tail]) => validCase('read', undefined, (pool) => ({ method: 'GET', target: `${entityTarget(set, pickId(pool, set, i) ?? 'none')}${tail}`, headers: CLEAN }))) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom('CreateFileInfos', 'CancelJob', 'GetProtectionKeyId', 'GetProtectionKey', 'RebindContentKey'), slot).map(([fn, i]) =>
      validCase(`function-${fn}`, undefined, (pool) => {
        const quoted = (id: string | undefined) => pct(`'${id ?? 'none'}'`);
        const params: Record<string, string> = {
          CreateFileInfos: `assetid=${quoted(pickId(pool, 'Assets', i))}`,
          CancelJob: `jobid=${quoted(pickId(pool, 'Jobs', i))}`,
          GetProtectionKeyId: 'contentKeyType=1',
          GetProtectionKey: `ProtectionKeyId=${quoted(pool.protection.thumbprint)}`,
          RebindContentKey: `id=${quoted(pickId(pool, 'ContentKeys', i))}&x509Certificate=''`,
        };
        return { method: 'GET', target: `/api/${fn}?${params[fn]}`, headers: CLEAN };
      }),
    ),
  },
  // The inputs of issue 13: names that walk out of the asset's container, create-only ids MERGEd
  // in other letter case, dates past either end of Edm.DateTime, certificates no key wraps to.
  { weight: 2, arbitrary: fc.tuple(slot, namesWithPathSegments()).map(([i, { name }]) => validCase('file-path-name', 'Files', (pool) => postJson('/api/Files', { ...validEntity(pool, 'Files', i), Name: name }))) },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom<PoolSet>('ContentKeys', 'Locators', 'Assets', 'Files'), slot, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 })).map(([set, i, flips]) =>
      validCase('merge-case-flipped-id', undefined, (pool) => {
        const id = pickId(pool, set, i) ?? 'none';
        const flipped = [...id].map((c, n) => (flips[n % flips.length] ? (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) : c)).join('');
        return { method: 'MERGE', target: entityTarget(set, id), headers: [...CLEAN, ['Content-Type', 'application/json']], body: json({ Id: flipped }) };
      }),
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(slot, outOfRangeDate, fc.constantFrom('StartTime', 'ExpirationDateTime'), fc.constantFrom('POST', 'MERGE')).map(([i, date, property, verb]) =>
      validCase('locator-out-of-range-date', verb === 'POST' ? 'Locators' : undefined, (pool) =>
        verb === 'POST'
          ? postJson('/api/Locators', { ...validEntity(pool, 'Locators', i), [property]: date })
          : { method: 'MERGE', target: entityTarget('Locators', pickId(pool, 'Locators', i) ?? 'none'), headers: [...CLEAN, ['Content-Type', 'application/json']], body: json({ [property]: date }) },
      ),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(slot, unusableCertificate).map(([i, { certificate }]) =>
      validCase('rebind-unusable-certificate', undefined, (pool) => ({ method: 'GET', target: `/api/RebindContentKey?id=${pct(`'${pickId(pool, 'ContentKeys', i) ?? 'none'}'`)}&x509Certificate=${pct(`'${certificate}'`)}`, headers: CLEAN })),
    ),
  },
);

function createAssetRequest(index: number, form: string): WireRequest {
  const entity = { Name: `fuzz-asset-${index}`, Options: index % 2 };
  if (form === 'verbose') return { method: 'POST', target: '/api/Assets', headers: [...CLEAN.filter(([n]) => n !== 'Accept'), ['Accept', 'application/json;odata=verbose'], ['Content-Type', 'application/json;odata=verbose']], body: json(entity) };
  if (form === 'atom') return { method: 'POST', target: '/api/Assets', headers: [...CLEAN.filter(([n]) => n !== 'Accept'), ['Accept', 'application/atom+xml'], ['Content-Type', 'application/atom+xml']], body: Buffer.from(atomOf(entity)) };
  return postJson('/api/Assets', entity);
}

// ------------------------------------------------------------------ $batch

const BATCH_BOUNDARY = 'batch_fuzz';
const CHANGESET_BOUNDARY = 'changeset_fuzz';

interface BatchOp {
  method: string;
  path: PathBuild;
  body?: BodyChoice;
  contentId?: string;
  set: string;
}

const batchOp: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 3, arbitrary: fc.tuple(apiPath, fc.array(queryPart, { maxLength: 2 })).map(([p, q]): BatchOp => ({ method: 'GET', path: (pool) => target(p.path(pool), q, { accept: ACCEPTS[0]!, format: 'json-minimal' }), set: p.set })) },
  { weight: 1, arbitrary: oversizedFilter.map((f): BatchOp => ({ method: 'GET', path: () => `/api/Assets?$filter=${pct(f)}`, set: 'Assets' })) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('Assets', 'Files', 'AccessPolicies', 'Locators', 'Jobs', 'ContentKeys'), bodyChoice, fc.option(fc.constantFrom('1', '2', 'x'), { nil: undefined })).map(([set, body, contentId]): BatchOp => ({ method: 'POST', path: () => `/api/${set}`, body, contentId, set })) },
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom('$1', '$2', '$9', '$x', '$'), fc.constantFrom('Tasks', 'Files', 'ContentKeys', '$links/ContentKeys', ''), bodyChoice).map(([ref, nav, body]): BatchOp => ({ method: 'POST', path: () => `${ref}/${nav}`, body, set: 'Tasks' })) },
  { weight: 2, arbitrary: fc.tuple(method, apiPath, fc.option(bodyChoice, { nil: undefined })).map(([m, p, body]): BatchOp => ({ method: m.method, path: p.path, body, set: p.set })) },
  { weight: 1, arbitrary: fc.constantFrom('POST /api/$batch', 'GET /api/$batch', 'GET http://elsewhere/api/Assets', 'GET Assets', 'GET', 'GET /_emulator/state', 'GET /origin/x/y').map((line): BatchOp => {
    const [m, p] = line.split(' ');
    return { method: m!, path: () => p ?? '', set: 'Assets' };
  }) },
);

interface BatchShape {
  items: ({ kind: 'op'; op: BatchOp } | { kind: 'changeset'; ops: BatchOp[] })[];
  mutation: 'none' | 'no-close' | 'lf-only' | 'truncate' | 'no-blank-line' | 'base64' | 'bad-version' | 'nested-changeset' | 'junk-preamble' | 'many-parts' | 'many-ops';
  cut: number;
  contentType: 'right' | 'no-boundary' | 'quoted-boundary' | 'wrong-type' | 'empty-boundary' | 'long-boundary' | 'none';
}

const batchShape: fc.Arbitrary<BatchShape> = fc.record({
  items: fc.array(fc.oneof(batchOp.map((op) => ({ kind: 'op' as const, op })), fc.array(batchOp, { minLength: 1, maxLength: 4 }).map((ops) => ({ kind: 'changeset' as const, ops }))), { minLength: 0, maxLength: 5 }),
  mutation: fc.oneof({ weight: 6, arbitrary: fc.constant('none' as const) }, { weight: 4, arbitrary: fc.constantFrom('no-close', 'lf-only', 'truncate', 'no-blank-line', 'base64', 'bad-version', 'nested-changeset', 'junk-preamble', 'many-parts', 'many-ops') }),
  cut: fc.double({ min: 0, max: 1, noNaN: true }),
  contentType: fc.oneof({ weight: 6, arbitrary: fc.constant('right' as const) }, { weight: 1, arbitrary: fc.constantFrom('no-boundary', 'quoted-boundary', 'wrong-type', 'empty-boundary', 'long-boundary', 'none') }),
}) as fc.Arbitrary<BatchShape>;

function operationBytes(pool: FuzzPool, op: BatchOp, shape: BatchShape): Buffer {
  const body = op.body?.build(pool, op.set);
  const version = shape.mutation === 'bad-version' ? 'HTTP/9.9' : 'HTTP/1.1';
  const lines = [`${op.method} ${op.path(pool)} ${version}`, 'Accept: application/json', 'x-ms-version: 2.19'];
  if (body) lines.push('Content-Type: application/json', `Content-Length: ${body.length}`);
  if (op.contentId) lines.push(`Content-ID: ${op.contentId}`);
  const head = `Content-Type: application/http\r\nContent-Transfer-Encoding: ${shape.mutation === 'base64' ? 'base64' : 'binary'}\r\n${shape.mutation === 'no-blank-line' ? '' : '\r\n'}${lines.join('\r\n')}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), body ?? Buffer.alloc(0)]);
}

function multipart(boundary: string, parts: Buffer[], close: boolean): Buffer {
  const out: Buffer[] = [];
  for (const part of parts) out.push(Buffer.from(`--${boundary}\r\n`), part, Buffer.from('\r\n'));
  if (close) out.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(out);
}

function batchBody(pool: FuzzPool, shape: BatchShape): Buffer {
  const parts: Buffer[] = shape.items.map((item) => {
    if (item.kind === 'op') return operationBytes(pool, item.op, shape);
    const inner = item.ops.map((op) => operationBytes(pool, op, shape));
    if (shape.mutation === 'nested-changeset') inner.push(Buffer.concat([Buffer.from(`Content-Type: multipart/mixed; boundary=inner\r\n\r\n`), multipart('inner', [operationBytes(pool, item.ops[0]!, shape)], true)]));
    return Buffer.concat([Buffer.from(`Content-Type: multipart/mixed; boundary=${CHANGESET_BOUNDARY}\r\n\r\n`), multipart(CHANGESET_BOUNDARY, inner, true)]);
  });
  const getAssets: BatchOp = { method: 'GET', path: () => '/api/Assets?$top=1', set: 'Assets' };
  if (shape.mutation === 'many-parts') for (let i = 0; i < 101; i++) parts.push(operationBytes(pool, getAssets, shape));
  if (shape.mutation === 'many-ops') {
    const ops = Array.from({ length: 1_001 }, () => operationBytes(pool, { method: 'DELETE', path: () => "/api/Assets('nb:cid:UUID:00000000-0000-0000-0000-000000000000')", set: 'Assets' }, shape));
    parts.push(Buffer.concat([Buffer.from(`Content-Type: multipart/mixed; boundary=${CHANGESET_BOUNDARY}\r\n\r\n`), multipart(CHANGESET_BOUNDARY, ops, true)]));
  }
  let body = multipart(BATCH_BOUNDARY, parts, shape.mutation !== 'no-close');
  if (shape.mutation === 'junk-preamble') body = Buffer.concat([Buffer.from('preamble junk\r\n--not-the-boundary\r\n'), body, Buffer.from('epilogue')]);
  if (shape.mutation === 'lf-only') body = Buffer.from(body.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
  if (shape.mutation === 'truncate') body = body.subarray(0, Math.floor(body.length * shape.cut));
  return body;
}

function batchContentType(shape: BatchShape): string | undefined {
  switch (shape.contentType) {
    case 'right':
      return `multipart/mixed; boundary=${BATCH_BOUNDARY}`;
    case 'no-boundary':
      return 'multipart/mixed';
    case 'quoted-boundary':
      return `multipart/mixed; boundary="${BATCH_BOUNDARY}"`;
    case 'wrong-type':
      return `application/json; boundary=${BATCH_BOUNDARY}`;
    case 'empty-boundary':
      return 'multipart/mixed; boundary=';
    case 'long-boundary':
      return `multipart/mixed; boundary=${'b'.repeat(5_000)}`;
    case 'none':
      return undefined;
  }
}

/** The format errors about the `$batch` itself are written in: its Accept without multipart/mixed. */
const BATCH_ACCEPTS: readonly AcceptChoice[] = [
  { header: 'multipart/mixed', format: 'json-minimal' },
  { format: 'json-minimal' },
  { header: 'application/json', format: 'json-minimal' },
  { header: 'application/atom+xml,application/xml', format: 'atom' },
  { header: 'application/json;odata=verbose', format: 'json-verbose' },
  { header: 'multipart/mixed, application/atom+xml', format: 'atom' },
  { header: 'text/html', format: 'json-minimal' },
];

const batchCase: fc.Arbitrary<FuzzCase> = fc.tuple(batchShape, fc.constantFrom(...BATCH_ACCEPTS), fc.oneof({ weight: 8, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'MERGE', 'PUT', 'DELETE') })).map(
  ([shape, accept, verb]): FuzzCase => ({
    family: `batch/${shape.mutation}/${shape.contentType}`,
    surface: 'odata',
    format: accept.format,
    malformedHttp: false,
    build: (pool) => {
      const type = batchContentType(shape);
      const headers: Header[] = [...CLEAN.filter(([n]) => n !== 'Accept'), ...(accept.header ? [['Accept', accept.header] as Header] : []), ...(type !== undefined ? [['Content-Type', type] as Header] : [])];
      return { method: verb, target: '/api/$batch', headers, body: batchBody(pool, shape) };
    },
  }),
);

// ------------------------------------------------------------------ token endpoints

const TOKEN_PATHS: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('/v2/OAuth2-13', '/common/oauth2/token', '/common/oauth2/v2.0/token', '/00000000-0000-0000-0000-000000000000/oauth2/token', '/v2/OAuth2-13/'),
  hostileString.filter((s) => s !== '').map((tenant) => `/${pathSafe(tenant)}/oauth2/token`),
  hostileString.filter((s) => s !== '').map((tenant) => `/${pathSafe(tenant)}/oauth2/v2.0/token`),
);

const tokenForm: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constant(Buffer.from('grant_type=client_credentials&client_id=fuzz&client_secret=fuzz-secret&resource=https%3A%2F%2Frest.media.azure.net')),
  fc.constantFrom(
    'grant_type=client_credentials&client_id=ams-emulator&client_secret=ams-emulator-secret',
    'grant_type=client_credentials&client_id=x&client_secret=y&resource=https%3A%2F%2Fnot-media',
    'grant_type=client_credentials&client_id=x&client_secret=y&scope=junk',
    'grant_type=password&client_id=x&client_secret=y',
    'grant_type=client_credentials',
    'grant_type=client_credentials&client_id=&client_secret=',
    'grant_type=client_credentials&grant_type=client_credentials&client_id=a&client_secret=b',
    'grant_type[]=client_credentials',
    '%zz=%zz',
    '&&&',
    '',
    '{"grant_type":"client_credentials"}',
  ).map((s) => Buffer.from(s)),
  fc.array(fc.tuple(hostileString, hostileString), { maxLength: 5 }).map((pairs) => Buffer.from(pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&'))),
  fc.tuple(invalidUtf8, fc.nat(40)).map(([bytes, at]) => spliceBytes('grant_type=client_credentials&client_id=x&client_secret=y', bytes, at)),
  fc.integer({ min: 60_000, max: 200_000 }).map((n) => Buffer.from(`grant_type=client_credentials&client_id=${'a'.repeat(n)}&client_secret=b`)),
);

const TOKEN_TYPES = ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'application/x-www-form-urlencoded; charset=junk', 'application/x-www-form-urlencoded; charset=utf-16', 'application/json', 'text/plain', 'multipart/form-data; boundary=x'];

const tokenCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    path: TOKEN_PATHS,
    verb: fc.oneof({ weight: 6, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'MERGE', 'PATCH', 'OPTIONS', 'HEAD') }),
    type: fc.oneof({ weight: 4, arbitrary: fc.constant<string | undefined>('application/x-www-form-urlencoded') }, { weight: 3, arbitrary: fc.constantFrom<string | undefined>(...TOKEN_TYPES, undefined) }),
    body: tokenForm,
    encoding: fc.option(fc.constantFrom('gzip', 'x-junk', 'identity'), { freq: 8, nil: undefined }),
  })
  .map(
    (r): FuzzCase => ({
      family: `token/${r.verb}`,
      surface: 'oauth',
      format: 'json-minimal',
      malformedHttp: false,
      build: () => ({
        method: r.verb,
        target: r.path,
        headers: [...(r.type !== undefined ? [['Content-Type', r.type] as Header] : []), ...(r.encoding !== undefined ? [['Content-Encoding', r.encoding] as Header] : [])],
        body: r.body,
      }),
    }),
  );

// ------------------------------------------------------------------ /_emulator

const WAITS = ['0', '0.01', '-1', 'abc', '1e309', 'NaN', '', '0x0', ' 0', '0,1', 'Infinity', '-0'];

type EmulatorPath = (pool: FuzzPool) => string;

function fileRef(index: number, form: 'encoded' | 'quoted' | 'raw'): (pool: FuzzPool) => string {
  return (pool) => {
    const id = pickId(pool, 'Files', index) ?? 'nb:cid:UUID:00000000-0000-0000-0000-000000000000';
    return form === 'encoded' ? encodeURIComponent(id) : form === 'quoted' ? pct(`'${id}'`) : id;
  };
}

const emulatorPath: fc.Arbitrary<EmulatorPath> = fc.oneof(
  fc.constantFrom('health', 'findings', 'findings?format=text', 'findings?rule=x&severity=y&entityId=z', 'findings?rule[]=1&rule=2', 'rules', 'requests', 'state', 'faults', 'faults/fault-1', 'faults/%zz', 'reset', 'verifications', 'verifications?status=failed&assetId=x', 'nope', '', 'files', 'files//verify', 'assets/x/verify?wait=0', 'health/x', 'summary', 'ui', 'ui/', 'ui/style.css', 'ui/js/main.js', 'ui/js/%zz', 'ui/js/..%2fmain.js', 'ui/js/main.js/x').map((p): EmulatorPath => () => `/_emulator/${p}`),
  fc.tuple(slot, fc.constantFrom<'encoded' | 'quoted' | 'raw'>('encoded', 'quoted', 'raw'), fc.constantFrom('verify', 'verification', 'expect', 'x'), fc.constantFrom(...WAITS)).map(
    ([i, form, action, wait]): EmulatorPath =>
      (pool) => `/_emulator/files/${fileRef(i, form)(pool)}/${action}?wait=${pct(wait)}`,
  ),
  fc.tuple(slot, fc.constantFrom(...WAITS)).map(([i, wait]): EmulatorPath => (pool) => `/_emulator/assets/${encodeURIComponent(pickId(pool, 'Assets', i) ?? 'none')}/verify?wait=${pct(wait)}`),
  fc.constantFrom(...WAITS).map((wait): EmulatorPath => () => `/_emulator/verifications?wait=${pct(wait)}`),
  hostileString.map((s): EmulatorPath => () => `/_emulator/${pathSafe(s)}`),
  fc.tuple(malformedId, fc.constantFrom('verify', 'verification', 'expect')).map(([id, action]): EmulatorPath => () => `/_emulator/files/${pathSafe(id)}/${action}?wait=0`),
);

/** A fault rule that can never be accepted: users' faults are not provoked here (they may answer 5xx). */
const refusedFaultBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc.record({ status: fc.oneof(fc.integer({ min: 600, max: 10_000 }), fc.integer({ min: -1000, max: 199 }), fc.constantFrom('503', 1.5, null)), entity: fc.option(hostileString, { nil: undefined }) }).map((rule) => json(rule)),
  fc.dictionary(hostileString, junkJsonValue, { maxKeys: 4 }).map((rule) => json({ ...rule, 'fuzz-unknown-field': 1 })),
  fc.array(fc.constant({ 'fuzz-unknown-field': 1 }), { minLength: 1, maxLength: 3 }).map((rules) => json([{ status: 503 }, ...rules])),
  fc.constantFrom('', '{', 'null', '"x"', '1', '[]', '[1]', '{"latencyMs":0}', '{"latencyMs":200000,"status":503}', '{"probability":2,"status":503}', '{"count":0,"status":503}', '{"seed":-1,"status":503}').map((s) => Buffer.from(s)),
  fc.integer({ min: 256 * 1024 + 1, max: 600_000 }).map((n) => Buffer.from(`{"message":"${'m'.repeat(n)}"}`)),
);

const emulatorBody: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: junkJsonValue.map((v) => json(v)) },
  { weight: 2, arbitrary: fc.constantFrom('{"sha256":null}', `{"sha256":"${'ab'.repeat(32)}"}`, '{"sha256":"xyz"}', '{"sha256":1}', '{}', '[]', '{', 'null').map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.integer({ min: 1_048_577, max: 1_200_000 }).map((n) => Buffer.from(`{"sha256":"${'a'.repeat(n)}"}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: 100_000 }).map((depth) => Buffer.from(nestedJson(depth, 'mixed'))) },
  { weight: 1, arbitrary: invalidUtf8.map((bytes) => spliceBytes('{"sha256":null}', bytes, 5)) },
);

const emulatorCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    path: emulatorPath,
    verb: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'HEAD', 'OPTIONS', 'MERGE'),
    body: emulatorBody,
    faultBody: refusedFaultBody,
    type: fc.oneof({ weight: 4, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom<string | undefined>(undefined, 'text/plain', 'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/xml') }),
    // Mutating routes need it or a JSON body (cross-site protection); without either they answer 403.
    marked: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    format: formatChoice,
  })
  .map((r): FuzzCase => ({
    family: `emulator/${r.verb}`,
    surface: 'odata',
    format: r.format.format,
    malformedHttp: false,
    build: (pool) => {
      let path = r.path(pool);
      // Reset wipes the state the fuzz runs against: every verb but POST (which is the reset) is
      // fuzzed. Express matches routes case-insensitively and with a trailing slash.
      const isReset = /^\/_emulator\/reset\/?$/i.test(path.split('?')[0]!);
      const verb = isReset && r.verb === 'POST' ? 'GET' : r.verb;
      const faults = path.startsWith('/_emulator/faults') && verb === 'POST';
      if (faults) path = '/_emulator/faults';
      const body = faults ? r.faultBody : r.body;
      return {
        method: verb,
        target: target(path, [], r.format),
        headers: [
          ...(r.format.accept.header !== undefined ? [['Accept', r.format.accept.header] as Header] : []),
          ...(r.type !== undefined && body !== undefined ? [['Content-Type', r.type] as Header] : []),
          ...(r.marked ? [['X-AMS-Emulator', '1'] as Header] : []),
        ],
        body,
      };
    },
  }));

// ------------------------------------------------------------------ /origin

const RANGES = ['bytes=0-0', 'bytes=0-', 'bytes=-1', 'bytes=5-1', 'bytes=0-1,2-3', 'bytes=junk', 'bytes=99999999999999999999-', 'bytes=-0', 'bytes=0-99999999999999999999', 'items=0-1', 'bytes = 0-1', 'bytes=1-2-3', 'bytes=-', ''];

const originCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    verb: fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'POST', 'DELETE', 'PUT', 'MERGE'),
    which: slot,
    guid: fc.oneof({ weight: 4, arbitrary: fc.constant<'pool'>('pool') }, { weight: 1, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString.map(pathSafe) }),
    name: fc.oneof({ weight: 4, arbitrary: fc.constant<'pool'>('pool') }, { weight: 1, arbitrary: fc.constantFrom('../../etc/passwd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '..%2F..%2Fstate.json', '%zz', '%00', 'a/b/c', '', '/', '%2F') }, { weight: 1, arbitrary: hostileString.map(pathSafe) }),
    range: fc.option(fc.constantFrom(...RANGES), { freq: 2, nil: undefined }),
    ifRange: fc.option(fc.constantFrom('"etag"', 'Wed, 21 Oct 2015 07:28:00 GMT', 'junk'), { freq: 6, nil: undefined }),
    shape: fc.constantFrom('file', 'file', 'file', 'root', 'guid-only', 'deep'),
  })
  .map((r): FuzzCase => ({
    family: `origin/${r.shape}`,
    surface: 'origin',
    format: 'json-minimal',
    malformedHttp: false,
    build: (pool) => {
      const known = pool.originFiles.length > 0 ? pool.originFiles[r.which % pool.originFiles.length] : undefined;
      const guid = r.guid === 'pool' ? (known?.guid ?? 'none') : r.guid;
      const name = r.name === 'pool' ? pathSafe(known?.name ?? 'none') : r.name;
      const path = r.shape === 'root' ? '/origin' : r.shape === 'guid-only' ? `/origin/${guid}` : r.shape === 'deep' ? `/origin/${guid}/${name}/${name}` : `/origin/${guid}/${name}`;
      const headers: Header[] = [];
      if (r.range !== undefined) headers.push(['Range', r.range]);
      if (r.ifRange !== undefined) headers.push(['If-Range', r.ifRange]);
      return { method: r.verb, target: path, headers };
    },
  }));

// ------------------------------------------------------------------ HTTP that Node may refuse

/** Malformed at the HTTP layer: the head itself is wrong, or too large. */
const rawHttpCase: fc.Arbitrary<FuzzCase> = fc
  .oneof(
    fc.constantFrom<[string, Partial<WireRequest>]>(
      ['absolute-form', { target: 'http://elsewhere.example/api/Assets' }],
      ['asterisk', { method: 'OPTIONS', target: '*' }],
      ['no-slash', { target: 'api/Assets' }],
      ['space-in-target', { target: '/api/As sets' }],
      ['latin1-in-target', { target: '/api/Assets\u00e9' }],
      ['tab-in-target', { target: '/api/\tAssets' }],
      ['no-host', { omitHost: true }],
      ['bad-content-length', { headers: [['Content-Length', 'abc']], body: Buffer.from('{}'), contentLength: 'none' }],
      ['negative-content-length', { headers: [['Content-Length', '-1']], contentLength: 'none' }],
      ['two-content-lengths', { headers: [['Content-Length', '2'], ['Content-Length', '3']], body: Buffer.from('{}'), contentLength: 'none' }],
      ['cl-and-te', { headers: [['Content-Length', '2'], ['Transfer-Encoding', 'chunked']], body: Buffer.from('{}'), contentLength: 'none' }],
      ['te-junk', { headers: [['Transfer-Encoding', 'gzip, chunked, x']], body: Buffer.from('{}'), contentLength: 'none' }],
      ['control-in-header', { headers: [['X-Junk', Buffer.from([0x61, 0x01, 0x62])]] }],
      ['cr-in-header', { headers: [['X-Junk', Buffer.from('a\rb')]] }],
      ['bad-header-name', { headers: [['X Junk', 'v']] }],
      ['colon-header-name', { headers: [['', 'v']] }],
      ['obs-fold', { headers: [['X-Junk', Buffer.from('a\r\n  folded')]] }],
      ['bad-chunk', { method: 'POST', trailer: Buffer.from('zz\r\njunk\r\n'), chunked: 3, body: Buffer.from('{"Name":"x"}') }],
      ['truncated-body', { method: 'POST', body: Buffer.from('{"Name":"x"'), contentLength: 1_000, halfClose: true }],
      ['pipelined-junk', { trailer: Buffer.from('JUNK / HTTP/1.1\r\n\r\n') }],
      ['http-version', { target: '/api/Assets HTTP/9.9 x' }],
    ),
    fc.integer({ min: 16_500, max: 200_000 }).map((n): [string, Partial<WireRequest>] => ['header-overflow', { headers: [['X-Big', 'v'.repeat(n)]] }]),
    fc.integer({ min: 16_500, max: 100_000 }).map((n): [string, Partial<WireRequest>] => ['target-overflow', { target: `/api/Assets?$filter=${'a'.repeat(n)}` }]),
    fc.integer({ min: 2_100, max: 4_000 }).map((n): [string, Partial<WireRequest>] => ['many-headers', { headers: Array.from({ length: n }, (_, i): Header => [`X${i}`, 'v'.repeat(8)]) }]),
  )
  .map(
    ([label, overrides]): FuzzCase => ({
      family: `http/${label}`,
      surface: 'odata',
      format: 'any',
      malformedHttp: true,
      build: () => ({ method: 'GET', target: '/api/Assets', ...overrides, headers: [...CLEAN, ...(overrides.headers ?? [])] }),
    }),
  );

const otherPathCase: fc.Arbitrary<FuzzCase> = fc.tuple(fc.constantFrom('/', '/favicon.ico', '/robots.txt', '/_emulator', '/origin', '/api', '/v2', '/common/oauth2', '/%zz', '/%00', '/..%2f..%2fetc%2fpasswd', '/index.html'), fc.constantFrom('GET', 'POST', 'HEAD', 'DELETE', 'OPTIONS'), formatChoice).map(
  ([path, verb, format]): FuzzCase => ({
    family: 'other-path',
    surface: path.startsWith('/origin') ? 'origin' : 'odata',
    format: format.format,
    malformedHttp: false,
    build: () => ({ method: verb, target: target(path, [], format), headers: format.accept.header !== undefined ? [['Accept', format.accept.header]] : [] }),
  }),
);

/** The key delivery service: known and unknown KIDs, licence paths, tokens in every form and none. */
const keyDeliveryCase: fc.Arbitrary<FuzzCase> = fc
  .record({
    verb: fc.constantFrom('POST', 'POST', 'GET', 'OPTIONS', 'DELETE', 'PUT'),
    which: slot,
    kid: fc.oneof({ weight: 4, arbitrary: fc.constant<'pool'>('pool') }, { weight: 1, arbitrary: fc.uuid() }, { weight: 1, arbitrary: hostileString.map(pathSafe) }),
    path: fc.constantFrom('/keydelivery/', '/keydelivery', '/keydelivery/PlayReady/', '/keydelivery/Widevine/', '/keydelivery/FairPlay/', '/keydelivery/junk/'),
    auth: fc.option(fc.oneof(fc.constantFrom('Bearer ', 'Bearer=', 'Bearer x.y.z', 'Bearer a=b&HMACSHA256=c', 'Basic abc'), hostileString.map((t) => `Bearer ${headerSafe(t)}`)), { nil: undefined }),
  })
  .map((r): FuzzCase => ({
    family: 'keydelivery/request',
    surface: 'origin',
    format: 'json-minimal',
    malformedHttp: false,
    build: (pool) => {
      const key = pool.ids.ContentKeys.length > 0 ? pool.ids.ContentKeys[r.which % pool.ids.ContentKeys.length]! : 'nb:kid:UUID:none';
      const kid = r.kid === 'pool' ? key.replace(/^nb:kid:UUID:/i, '') : r.kid;
      const headers: Header[] = r.auth === undefined ? [] : [['Authorization', r.auth]];
      return { method: r.verb, target: `${r.path}?KID=${encodeURIComponent(kid)}`, headers, body: Buffer.alloc(0) };
    },
  }));

/** Every kind of request, with the weights of one fuzz run. */
export const fuzzCase: fc.Arbitrary<FuzzCase> = fc.oneof(
  { weight: 42, arbitrary: apiJunk },
  { weight: 20, arbitrary: validStep },
  { weight: 8, arbitrary: batchCase },
  { weight: 8, arbitrary: emulatorCase },
  { weight: 7, arbitrary: tokenCase },
  { weight: 6, arbitrary: originCase },
  { weight: 5, arbitrary: rawHttpCase },
  { weight: 2, arbitrary: otherPathCase },
  { weight: 2, arbitrary: keyDeliveryCase },
).map((c) => Object.assign(c, { [fc.toStringMethod]: () => `FuzzCase(${c.family}, ${c.surface}, ${c.format}${c.malformedHttp ? ', malformed HTTP' : ''})` }));
