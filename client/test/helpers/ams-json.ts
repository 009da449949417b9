/**
 * AMS v2 response bodies as the service wrote them, in both JSON dialects, for fake servers.
 * Shapes follow the captured samples in ams-v2-reference.md §8.3.
 */

export const ASSET_ID = 'nb:cid:UUID:9bc8ff20-24fb-4fdb-9d7c-b04c7ee573a1';
export const KEY_ID = 'nb:kid:UUID:316d14d4-b603-4d90-b8db-0fede8aa48f8';

/** `{"odata.metadata":"..#Set/@Element", ...properties}` */
export function minimalEntity(origin: string, entitySet: string, properties: Record<string, unknown>): Record<string, unknown> {
  return { 'odata.metadata': `${origin}/api/$metadata#${entitySet}/@Element`, ...properties };
}

/** `{"odata.metadata":"..#Set","value":[..]}` */
export function minimalCollection(origin: string, entitySet: string, items: Record<string, unknown>[]): Record<string, unknown> {
  return { 'odata.metadata': `${origin}/api/$metadata#${entitySet}`, value: items };
}

/** `{"d":{"__metadata":{..}, ...properties}}` */
export function verboseEntity(origin: string, entitySet: string, type: string, properties: Record<string, unknown>): Record<string, unknown> {
  return { d: verboseItem(origin, entitySet, type, properties) };
}

/** `{"d":{"results":[..]}}` */
export function verboseCollection(origin: string, entitySet: string, type: string, items: Record<string, unknown>[]): Record<string, unknown> {
  return { d: { results: items.map((item) => verboseItem(origin, entitySet, type, item)) } };
}

function verboseItem(origin: string, entitySet: string, type: string, properties: Record<string, unknown>): Record<string, unknown> {
  const uri = `${origin}/api/${entitySet}('${encodeURIComponent(String(properties.Id))}')`;
  return { __metadata: { id: uri, uri, type: `Microsoft.Cloud.Media.Vod.Rest.Data.Models.${type}` }, ...properties };
}

/** An Asset as minimal metadata sends it. */
export function assetProperties(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: ASSET_ID,
    State: 0,
    Created: '2015-02-04T02:37:46.9684379Z',
    LastModified: '2015-02-04T02:37:46.9684379Z',
    AlternateId: null,
    Name: 'BigBuckBunny.mp4',
    Options: 1,
    FormatOption: 0,
    Uri: 'https://storagetestaccount001.blob.core.windows.net/asset-9bc8ff20-24fb-4fdb-9d7c-b04c7ee573a1',
    StorageAccountName: 'storagetestaccount001',
    ...overrides,
  };
}
