import { Operation, StreamingEndpoint } from '../odata/edm-streaming.js';
import { parseJsonObject } from '../odata/body.js';
import { canonicalId, checkKey } from '../odata/uri.js';
import { toPrimitive } from '../odata/values.js';
import { COLLECTIONS } from '../model/collections.js';
import { invalid } from '../model/refusal.js';
import type { OperationRecord } from '../model/operation.js';
import {
  createStreamingEndpoint,
  deleteStreamingEndpoint,
  ensureDefaultEndpoint,
  hostNameOf,
  pollOperation,
  scaleStreamingEndpoint,
  startStreamingEndpoint,
  stopStreamingEndpoint,
  updateStreamingEndpoint,
  type EndpointContext,
  type StreamingEndpointRecord,
} from '../model/streaming-endpoint.js';
import type { Services } from '../app/services.js';
import type { Transaction } from '../store/types.js';
import { mergeValues } from '../model/entity.js';
import { readBody } from './common.js';
import type { ApiRequest, ApiResult } from './context.js';

/**
 * StreamingEndpoints and Operations over HTTP (ams-v2-surface.md §4.2, §4.3). Every change that
 * takes time answers `202 Accepted` with the header `operation-id`, the one thing the SDKs read
 * (Java returns it from update/delete/action; .NET polls `Operations('<id>')` with it).
 */

function context(req: ApiRequest, services: Services): EndpointContext {
  return { ids: services.ids, now: services.now(), pacing: services.config.operationProgression, host: new URL(req.baseUrl).host };
}

function endpointKey(key: string): string {
  checkKey(StreamingEndpoint, key);
  return canonicalId(StreamingEndpoint, key);
}

function accepted(operation: OperationRecord): ApiResult {
  return { kind: 'accepted', headers: { 'operation-id': operation.Id } };
}

/** POST StreamingEndpoints: 202 with the entity, Location and operation-id (Java reads the entity from it). */
export async function createEndpoint(req: ApiRequest, services: Services): Promise<ApiResult> {
  const body = readBody(req, services, StreamingEndpoint);
  const ctx = context(req, services);
  const { endpoint, operation } = await services.store.transaction((tx) => createStreamingEndpoint(tx, ctx, body.values));
  return { kind: 'entity', type: StreamingEndpoint, record: endpoint, status: 202, headers: { 'operation-id': operation.Id } };
}

/** MERGE/PATCH/PUT: 204 on a stopped endpoint, 202 with an operation on a running one. */
export async function updateEndpoint(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const id = endpointKey(key);
  const body = readBody(req, services, StreamingEndpoint);
  const values = new Map(body.values);
  values.delete('State');
  const ctx = context(req, services);
  const operation = await services.store.transaction((tx) =>
    updateStreamingEndpoint(tx, ctx, id, (current) => mergeValues(StreamingEndpoint, current, values) as typeof current),
  );
  return operation ? accepted(operation) : { kind: 'noContent' };
}

/** A change of one endpoint that the model answers with an operation: 202 + operation-id. */
function operationOn(change: (tx: Transaction, ctx: EndpointContext, id: string) => OperationRecord) {
  return async (req: ApiRequest, services: Services, key: string): Promise<ApiResult> => {
    const id = endpointKey(key);
    const ctx = context(req, services);
    return accepted(await services.store.transaction((tx) => change(tx, ctx, id)));
  };
}

export const deleteEndpoint = operationOn(deleteStreamingEndpoint);
export const startEndpoint = operationOn(startStreamingEndpoint);
export const stopEndpoint = operationOn(stopStreamingEndpoint);

/** POST ..('id')/Scale with `{"scaleUnits": N}` (Java's Jackson map; the name matched without case). */
export async function scaleEndpoint(req: ApiRequest, services: Services, key: string): Promise<ApiResult> {
  const units = scaleUnitsOf(req, services);
  return operationOn((tx, ctx, id) => scaleStreamingEndpoint(tx, ctx, id, units))(req, services, key);
}

function scaleUnitsOf(req: ApiRequest, services: Services): number | undefined {
  if (req.body.length === 0 || req.body.toString('utf8').trim() === '') return undefined;
  const body = parseJsonObject(req.body, req.contentType, { maxDepth: services.config.limits.maxBodyDepth });
  const name = Object.keys(body).find((k) => k.toLowerCase() === 'scaleunits');
  if (name === undefined) throw invalid(`Scale takes {"scaleUnits": N}; the body names ${Object.keys(body).slice(0, 5).map((k) => JSON.stringify(k)).join(', ') || 'nothing'}`);
  const value = body[name];
  return value === null ? undefined : (toPrimitive('scaleUnits', 'Edm.Int32', value) as number);
}

/**
 * Reads of StreamingEndpoints see the default endpoint: it is made, Stopped, the first time any
 * client looks (the service provisioned it with the account).
 */
export async function beforeEndpointsRead(req: ApiRequest, services: Services): Promise<void> {
  const ctx = context(req, services);
  if (services.store.values(COLLECTIONS.StreamingEndpoints).next().done === false) return;
  await services.store.transaction((tx) => void ensureDefaultEndpoint(tx, ctx));
}

/** A read of one Operation is a poll: it may complete it (`--operation-progression`). */
export async function beforeOperationsRead(req: ApiRequest, services: Services, key: string | undefined): Promise<void> {
  if (key === undefined || req.path.kind !== 'entity') return;
  let id: string;
  try {
    checkKey(Operation, key);
    id = canonicalId(Operation, key);
  } catch {
    return; // the router answers 400 for it
  }
  if (!services.store.has(COLLECTIONS.Operations, id)) return; // and 404
  const ctx = context(req, services);
  await services.store.transaction((tx) => void pollOperation(tx, ctx, id));
}

/** HostName follows the Host the client used, as origin locator Paths do. */
export function presentStreamingEndpoint(record: StreamingEndpointRecord, req: ApiRequest): StreamingEndpointRecord {
  return { ...record, HostName: hostNameOf(new URL(req.baseUrl).host, record.Name) };
}
