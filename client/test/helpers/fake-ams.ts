import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BlobServiceClient, type ContainerClient, type SignedIdentifier } from '@azure/storage-blob';
import {
  certificateToBase64Der, createProtectionCertificate, unwrapContentKey, wrapContentKey, type ProtectionCertificate,
} from '../../src/crypto/index.js';

/**
 * A small stand-in for the AMS v2 service, only as large as the upload and download workflows need,
 * speaking minimal-metadata JSON. It is honest where the workflows could be fooled: it holds a real
 * protection certificate and unwraps content keys with its private key only on RebindContentKey, it
 * creates real containers in Azurite, and its SAS locators are container SAS tokens bound to a stored
 * access policy named after the locator (as AMS did), so deleting a locator revokes its SAS.
 *
 * Not a product: no verbose/Atom, no query language beyond `Name eq '..'`, no validation beyond what
 * a test needs to notice a misbehaving client. The workflows still need an end-to-end suite against
 * the real emulator (test/support/emulator.ts), in both JSON dialects; that is pending.
 */
export interface FakeAms {
  /** `http://127.0.0.1:<port>/api/` */
  endpoint: string;
  certificate: ProtectionCertificate;
  /** `METHOD /api/path?query` of every call (decoded), in order. */
  calls: string[];
  /** Entity addresses deleted, e.g. `Locators('nb:lid:UUID:..')`. */
  deleted: string[];
  state: FakeState;
  /** Inject a failure: return an HTTP status (and message) to answer a call with instead. */
  fault: ((call: { method: string; path: string; body: string }) => { status: number; message?: string } | undefined) | undefined;
  /** The clear content key, unwrapped with the fake's private key. */
  clearKey(keyId: string): Buffer;
  /** The container of an asset, through the account key (independent of any SAS). */
  container(assetId: string): ContainerClient;
  close(): Promise<void>;
}

type Entity = Record<string, unknown> & { Id: string };

export interface FakeState {
  contentKeys: Map<string, Entity>;
  assets: Map<string, Entity & { container: string }>;
  links: Map<string, Set<string>>;
  files: Map<string, Entity>;
  policies: Map<string, Entity>;
  locators: Map<string, Entity>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface FakeAmsOptions {
  /** Hand out blob URLs on this origin instead of Azurite's (a test proxy in front of it). */
  blobOrigin?: string;
}

export async function startFakeAms(storageConnectionString: string, options: FakeAmsOptions = {}): Promise<FakeAms> {
  const certificate = createProtectionCertificate();
  const blobService = BlobServiceClient.fromConnectionString(storageConnectionString);
  const state: FakeState = { contentKeys: new Map(), assets: new Map(), links: new Map(), files: new Map(), policies: new Map(), locators: new Map() };
  const calls: string[] = [];
  const deleted: string[] = [];
  const storedPolicies = new Map<string, SignedIdentifier[]>();
  let origin = '';

  const fake: FakeAms = {
    endpoint: '',
    certificate,
    calls,
    deleted,
    state,
    fault: undefined,
    clearKey: (keyId) => unwrapContentKey(certificate.privateKeyPem, String(mustGet(state.contentKeys, keyId).EncryptedContentKey)),
    container: (assetId) => blobService.getContainerClient(mustGet(state.assets, assetId).container),
    close: async () => undefined,
  };

  const entity = (set: string, value: Entity): Record<string, unknown> => ({ 'odata.metadata': `${origin}/api/$metadata#${set}/@Element`, ...value });
  const collection = (set: string, values: Entity[]): Record<string, unknown> => ({ 'odata.metadata': `${origin}/api/$metadata#${set}`, value: values });
  const stamp = (): { Created: string; LastModified: string } => {
    const now = new Date().toISOString();
    return { Created: now, LastModified: now };
  };

  async function route(method: string, path: string, query: URLSearchParams, body: string): Promise<{ status: number; json?: unknown }> {
    const m = /^\/api\/(\w+)(?:\('([^']*)'\))?(?:\/(.*))?$/.exec(path);
    if (!m) throw new HttpError(404, `no such resource ${path}`);
    const [, set, id, rest] = m as unknown as [string, string, string | undefined, string | undefined];
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};

    switch (`${method} ${set}${id === undefined ? '' : '(id)'}${rest === undefined ? '' : `/${rest}`}`) {
      case 'GET GetProtectionKeyId':
        return { status: 200, json: { 'odata.metadata': `${origin}/api/$metadata#Edm.String`, value: certificate.thumbprint } };
      case 'GET GetProtectionKey': {
        const asked = unquote(param(query, 'ProtectionKeyId'));
        if (asked.toUpperCase() !== certificate.thumbprint) throw new HttpError(404, `no protection key ${asked}`);
        return { status: 200, json: { 'odata.metadata': `${origin}/api/$metadata#Edm.String`, value: certificateToBase64Der(certificate.der) } };
      }
      case 'GET RebindContentKey': {
        const key = mustGet(state.contentKeys, unquote(param(query, 'id')));
        let clear: Buffer;
        try {
          clear = unwrapContentKey(certificate.privateKeyPem, String(key.EncryptedContentKey));
        } catch (err) {
          throw new HttpError(400, `the content key cannot be unwrapped: ${(err as Error).message}`);
        }
        const x509 = unquote(param(query, 'x509Certificate'));
        const value = x509 === '' ? clear.toString('base64') : wrapContentKey(x509, clear).toString('base64');
        return { status: 200, json: { 'odata.metadata': `${origin}/api/$metadata#Edm.String`, value } };
      }
      case 'POST ContentKeys': {
        const keyId = String(input.Id);
        if (state.contentKeys.has(keyId)) throw new HttpError(409, `a content key with Id ${keyId} already exists`);
        const key: Entity = { Name: null, Checksum: '', ProtectionKeyType: 0, ...input, Id: keyId, ...stamp() };
        state.contentKeys.set(keyId, key);
        return { status: 201, json: entity('ContentKeys', key) };
      }
      case 'POST Assets': {
        const guid = randomUUID();
        const container = `asset-${guid}`;
        await blobService.getContainerClient(container).create();
        const asset = {
          Name: null, Options: 0, ...input, Id: `nb:cid:UUID:${guid}`, State: 0, FormatOption: 0, AlternateId: null,
          Uri: blobService.getContainerClient(container).url, StorageAccountName: blobService.accountName, container, ...stamp(),
        };
        state.assets.set(asset.Id, asset);
        return { status: 201, json: entity('Assets', withoutContainer(asset)) };
      }
      case 'GET Assets(id)':
        return { status: 200, json: entity('Assets', withoutContainer(mustGet(state.assets, id!))) };
      case 'POST Assets(id)/$links/ContentKeys': {
        mustGet(state.assets, id!);
        const keyId = /ContentKeys\('([^']*)'\)$/.exec(String(input.uri))?.[1];
        if (keyId === undefined) throw new HttpError(400, `not a ContentKeys uri: ${String(input.uri)}`);
        const decoded = decodeURIComponent(keyId);
        mustGet(state.contentKeys, decoded);
        const linked = state.links.get(id!) ?? new Set<string>();
        if (linked.has(decoded)) throw new HttpError(409, 'the key is already linked');
        linked.add(decoded);
        state.links.set(id!, linked);
        return { status: 204 };
      }
      case 'GET Assets(id)/ContentKeys': {
        mustGet(state.assets, id!);
        return { status: 200, json: collection('ContentKeys', [...(state.links.get(id!) ?? [])].map((k) => mustGet(state.contentKeys, k))) };
      }
      case 'POST Files': {
        const asset = mustGet(state.assets, String(input.ParentAssetId));
        if ([...state.files.values()].some((f) => f.ParentAssetId === asset.Id && f.Name === input.Name)) {
          throw new HttpError(409, `the asset already has a file named ${String(input.Name)}`);
        }
        const file: Entity = {
          ContentFileSize: '0', IsEncrypted: false, EncryptionScheme: null, EncryptionVersion: null, EncryptionKeyId: null,
          InitializationVector: null, IsPrimary: false, MimeType: null, ContentChecksum: null, Options: 0,
          ...input, Id: `nb:cid:UUID:${randomUUID()}`, ...stamp(),
        };
        file.ContentFileSize = String(file.ContentFileSize);
        state.files.set(file.Id, file);
        return { status: 201, json: entity('Files', file) };
      }
      case 'GET Assets(id)/Files': {
        mustGet(state.assets, id!);
        const name = /^Name eq '((?:[^']|'')*)'$/.exec(query.get('$filter') ?? '')?.[1]?.replace(/''/g, "'");
        const files = [...state.files.values()].filter((f) => f.ParentAssetId === id && (name === undefined || f.Name === name));
        return { status: 200, json: collection('Files', files) };
      }
      case 'MERGE Files(id)': {
        const file = mustGet(state.files, id!);
        Object.assign(file, input, { Id: file.Id, LastModified: new Date().toISOString() });
        file.ContentFileSize = String(file.ContentFileSize);
        return { status: 204 };
      }
      case 'POST AccessPolicies': {
        if (input.DurationInMinutes === undefined) throw new HttpError(500, 'DurationInMinutes is required');
        const policy: Entity = { ...input, Id: `nb:pid:UUID:${randomUUID()}`, ...stamp() };
        state.policies.set(policy.Id, policy);
        return { status: 201, json: entity('AccessPolicies', policy) };
      }
      case 'DELETE AccessPolicies(id)':
        mustGet(state.policies, id!);
        if ([...state.locators.values()].some((l) => l.AccessPolicyId === id)) throw new HttpError(400, 'the policy is used by a locator');
        state.policies.delete(id!);
        deleted.push(`AccessPolicies('${id}')`);
        return { status: 204 };
      case 'POST Locators': {
        const policy = mustGet(state.policies, String(input.AccessPolicyId));
        const asset = mustGet(state.assets, String(input.AssetId));
        const guid = randomUUID();
        const start = input.StartTime ? new Date(String(input.StartTime)) : new Date();
        const expiry = new Date(start.getTime() + Number(policy.DurationInMinutes) * 60_000);
        const permissions = (Number(policy.Permissions) & 1 ? 'r' : '') + (Number(policy.Permissions) & 2 ? 'w' : '') + (Number(policy.Permissions) & 4 ? 'd' : '') + (Number(policy.Permissions) & 8 ? 'l' : '');
        const container = blobService.getContainerClient(asset.container);
        const identifiers = storedPolicies.get(asset.container) ?? [];
        if (identifiers.length >= 5) throw new HttpError(409, 'an asset holds at most 5 locators');
        identifiers.push({ id: guid, accessPolicy: { permissions, startsOn: start, expiresOn: expiry } });
        storedPolicies.set(asset.container, identifiers);
        await container.setAccessPolicy(undefined, identifiers);
        const sas = new URL(await container.generateSasUrl({ identifier: guid })).search;
        // The SAS signature does not cover the host, so a proxy's origin can stand in for Azurite's.
        const baseUri = options.blobOrigin ? `${options.blobOrigin}${new URL(container.url).pathname}` : container.url;
        const locator: Entity = {
          Name: null, ...input, Id: `nb:lid:UUID:${guid}`, Type: 1, StartTime: start.toISOString(), ExpirationDateTime: expiry.toISOString(),
          BaseUri: baseUri, ContentAccessComponent: sas, Path: `${baseUri}${sas}`,
        };
        state.locators.set(locator.Id, locator);
        return { status: 201, json: entity('Locators', locator) };
      }
      case 'DELETE Locators(id)': {
        const locator = mustGet(state.locators, id!);
        const container = mustGet(state.assets, String(locator.AssetId)).container;
        const guid = id!.replace(/^nb:lid:UUID:/, '');
        const identifiers = (storedPolicies.get(container) ?? []).filter((p) => p.id !== guid);
        storedPolicies.set(container, identifiers);
        await blobService.getContainerClient(container).setAccessPolicy(undefined, identifiers);
        state.locators.delete(id!);
        deleted.push(`Locators('${id}')`);
        return { status: 204 };
      }
      default:
        throw new HttpError(404, `the fake does not serve ${method} ${path}`);
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', origin);
      const path = decodeURIComponent(url.pathname);
      const method = req.method ?? 'GET';
      const body = Buffer.concat(chunks).toString('utf8');
      calls.push(`${method} ${path}${decodeURIComponent(url.search)}`);
      const injected = fake.fault?.({ method, path, body });
      const answer = injected
        ? Promise.reject(new HttpError(injected.status, injected.message ?? 'injected failure'))
        : route(method, path, url.searchParams, body);
      answer.then(
        ({ status, json }) => {
          if (json === undefined) {
            res.writeHead(status).end();
            return;
          }
          res.writeHead(status, { 'content-type': 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8' }).end(JSON.stringify(json));
        },
        (err: unknown) => {
          const status = err instanceof HttpError ? err.status : 500;
          res
            .writeHead(status, { 'content-type': 'application/json;odata=minimalmetadata;charset=utf-8', 'x-ms-request-id': randomUUID() })
            .end(JSON.stringify({ 'odata.error': { code: '', message: { lang: 'en-US', value: (err as Error).message } } }));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.endpoint = `${origin}/api/`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

function mustGet<T>(map: Map<string, T>, id: string): T {
  const value = map.get(id);
  if (value === undefined) throw new HttpError(404, `no entity ${id}`);
  return value;
}

/** A query parameter by case-insensitive name (.NET sends protectionKeyId, the docs ProtectionKeyId). */
function param(query: URLSearchParams, name: string): string {
  for (const [key, value] of query) if (key.toLowerCase() === name.toLowerCase()) return value;
  throw new HttpError(400, `missing parameter ${name}`);
}

/** An OData string literal's value: `'it''s'` -> `it's`. */
function unquote(literal: string): string {
  const m = /^'((?:[^']|'')*)'$/.exec(literal);
  if (!m) throw new HttpError(400, `not a quoted string: ${literal}`);
  return m[1]!.replace(/''/g, "'");
}

/** The asset as the service shows it: the container name is the fake's own bookkeeping. */
function withoutContainer(asset: Entity & { container: string }): Entity {
  const { container: _container, ...rest } = asset;
  return { ...rest, Id: asset.Id };
}
