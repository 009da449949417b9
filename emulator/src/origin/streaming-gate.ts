import { endpointNamed, originRefusal, DEFAULT_STREAMING_ENDPOINT_NAME, type StreamingEndpointRecord } from '../model/streaming-endpoint.js';
import type { StoreReader } from '../store/types.js';

/**
 * Which StreamingEndpoint an origin request goes through. Each endpoint's HostName is
 * `<emulator host:port>/origin[/<name>]`: `/origin/<locator guid>/<file>` (the Path of every
 * OnDemandOrigin locator) is the default endpoint's, `/origin/<name>/<locator guid>/<file>` a
 * named one's. An endpoint name is at most 32 characters, so it is never a GUID.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The cross-site policy documents players fetch from an endpoint's host root, and where each is kept. */
const POLICY_FILES: Readonly<Record<string, 'CrossDomainPolicy' | 'ClientAccessPolicy'>> = {
  'crossdomain.xml': 'CrossDomainPolicy',
  'clientaccesspolicy.xml': 'ClientAccessPolicy',
};

export interface OriginAddress {
  /** The named endpoint; undefined: the default one. */
  endpoint?: string;
  /** The path below the endpoint's host: `/<locator guid>/<file>` or `/<policy file>`. */
  rest: string;
}

export function originAddress(path: string): OriginAddress {
  const m = /^\/([^/]+)(\/.*)$/.exec(path);
  if (!m || GUID.test(m[1]!)) return { rest: path };
  const second = /^\/([^/]+)/.exec(m[2]!)?.[1];
  const policy = second !== undefined && m[2] === `/${second}` && POLICY_FILES[second.toLowerCase()] !== undefined;
  if (second !== undefined && (GUID.test(second) || policy)) return { endpoint: safeDecode(m[1]!), rest: m[2]! };
  return { rest: path };
}

/** Why the endpoint cannot answer now (not running, unknown), or undefined when it can. */
export function endpointRefusal(reader: StoreReader, address: OriginAddress): { status: number; code: string; message: string } | undefined {
  return originRefusal(reader, address.endpoint);
}

/**
 * `GET <HostName>/crossdomain.xml` or `/clientaccesspolicy.xml`: the endpoint's
 * CrossSiteAccessPolicies document, as Flash and Silverlight players fetch it. Undefined when
 * `rest` names no policy file; `null` when the endpoint has none set.
 */
export function crossSitePolicy(reader: StoreReader, address: OriginAddress): string | null | undefined {
  const file = POLICY_FILES[address.rest.replace(/^\//, '').toLowerCase()];
  if (file === undefined) return undefined;
  const endpoint: StreamingEndpointRecord | undefined = endpointNamed(reader, address.endpoint ?? DEFAULT_STREAMING_ENDPOINT_NAME);
  const policies = endpoint?.CrossSiteAccessPolicies;
  if (typeof policies !== 'object' || policies === null || Array.isArray(policies)) return null;
  const document = policies[file];
  return typeof document === 'string' && document !== '' ? document : null;
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
