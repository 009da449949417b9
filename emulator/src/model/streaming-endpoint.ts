/**
 * A StreamingEndpoint (formerly Origin): what serves an asset's OnDemandOrigin locators
 * (ams-v2-surface.md §4). What must hold:
 * - every account has the endpoint named "default", Stopped at first, which cannot be deleted;
 * - names are unique (without case), 1 to 32 letters, digits and hyphens, no hyphen at either end;
 * - a change that takes time (create, Start, Stop, Scale, delete, settings of a running endpoint)
 *   is an Operation: the endpoint shows the transitional state (Starting, Stopping, Scaling,
 *   Deleting) until the operation completes, and one operation at a time changes an endpoint;
 * - a change the state forbids (start a running endpoint, stop a stopped one, delete a running
 *   one or the default) is accepted as an operation that fails with the service's ErrorCode,
 *   and changes nothing.
 * The origin answers through an endpoint only while it runs; until a client manages endpoints at
 * all, the emulator's origin answers as it always did (see `originAccess`).
 */
import { formatNbId } from '../../../client/src/crypto/index.js';
import type { IdGenerator } from '../ids.js';
import type { Json, StoreReader, Transaction } from '../store/types.js';
import type { CanonicalValue } from '../odata/values.js';
import { COLLECTIONS } from './collections.js';
import { finished, newOperation, pollCompletes, putOperation, findOperation, type OperationOutcome, type OperationPacing, type OperationRecord } from './operation.js';
import type { StreamingEndpointRecord, StreamingEndpointState } from './records.js';
import { conflicting, invalid, unknown } from './refusal.js';

export type { StreamingEndpointRecord, StreamingEndpointState } from './records.js';

export const STREAMING_ENDPOINT_ID_TAG = 'oid';
/** Third-party code compares with "default"; the docs say "Default" (§4.2): matched without case. */
export const DEFAULT_STREAMING_ENDPOINT_NAME = 'default';

/** What every endpoint operation needs besides the store. */
export interface EndpointContext {
  ids: IdGenerator;
  now: Date;
  pacing: OperationPacing;
  /** `host:port` the client reached the emulator at; HostName is `<host:port>/origin[/<name>]`. */
  host: string;
}

/** `DateTime.MinValue`: the service's FreeTrialEndTime when no trial applies. */
const NO_FREE_TRIAL = '0001-01-01T00:00:00.000Z';
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/;
const SE = COLLECTIONS.StreamingEndpoints;

export function isDefaultEndpoint(endpoint: { Name: string }): boolean {
  return endpoint.Name.toLowerCase() === DEFAULT_STREAMING_ENDPOINT_NAME;
}

/**
 * Where the endpoint's origin answers: the emulator's own `/origin` path, so it works offline
 * with any client and the Host allow-list, no DNS needed. The default endpoint's is the one
 * OnDemandOrigin locator Paths are built on (`http://<HostName>/<locator guid>/`).
 */
export function hostNameOf(host: string, name: string): string {
  return name.toLowerCase() === DEFAULT_STREAMING_ENDPOINT_NAME ? `${host}/origin` : `${host}/origin/${name}`;
}

/** An endpoint by canonical id; 404 when there is none. */
export function findStreamingEndpoint(reader: StoreReader, id: string): StreamingEndpointRecord {
  const endpoint = reader.get<StreamingEndpointRecord>(SE, id);
  if (!endpoint) throw unknown(`No StreamingEndpoint with Id '${id}' was found`, 'ResourceNotFound');
  return endpoint;
}

export function endpointNamed(reader: StoreReader, name: string): StreamingEndpointRecord | undefined {
  const lower = name.toLowerCase();
  for (const endpoint of reader.values<StreamingEndpointRecord>(SE)) if (endpoint.Name.toLowerCase() === lower) return endpoint;
  return undefined;
}

/**
 * How many endpoints a GET of StreamingEndpoints lists: the stored ones, or, before any read made
 * it, the default endpoint (the service provisioned it with the account; see beforeEndpointsRead).
 */
export function listedEndpointCount(reader: StoreReader): number {
  return Math.max(1, reader.count(SE));
}

/** The default endpoint, made (Stopped, compat origin) the first time anything asks for it. */
export function ensureDefaultEndpoint(tx: Transaction, ctx: EndpointContext): StreamingEndpointRecord {
  const existing = endpointNamed(tx, DEFAULT_STREAMING_ENDPOINT_NAME);
  if (existing) return existing;
  const endpoint = newEndpoint(ctx, new Map([['Name', DEFAULT_STREAMING_ENDPOINT_NAME]]), 'Stopped');
  endpoint._internal.compatOrigin = true;
  tx.put(SE, endpoint.Id, endpoint);
  return endpoint;
}

/** A client manages endpoints from now on: the origin needs a running one. */
function managed(tx: Transaction, ctx: EndpointContext): void {
  const fallback = ensureDefaultEndpoint(tx, ctx);
  if (fallback._internal.compatOrigin) tx.put(SE, fallback.Id, { ...fallback, _internal: { ...fallback._internal, compatOrigin: false } });
}

/**
 * POST StreamingEndpoints: the endpoint is stored at once, Stopped; a create that asks for
 * State Running starts it as part of the same operation.
 */
export function createStreamingEndpoint(tx: Transaction, ctx: EndpointContext, values: ReadonlyMap<string, CanonicalValue>): { endpoint: StreamingEndpointRecord; operation: OperationRecord } {
  managed(tx, ctx);
  const name = values.get('Name');
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid(`StreamingEndpoint Name ${JSON.stringify(name ?? null)} is not valid: 1 to 32 letters, digits and hyphens, not starting or ending with a hyphen`, 'InvalidResourceName');
  }
  if (endpointNamed(tx, name)) throw conflicting(`A StreamingEndpoint named '${name}' already exists (names are compared without case)`, 'ResourceNameTaken');
  const requested = values.get('State') ?? 'Stopped';
  if (requested !== 'Stopped' && requested !== 'Running') {
    throw invalid(`A StreamingEndpoint is created Stopped or Running, not ${JSON.stringify(requested)}`, 'BadRequest');
  }
  checkScaleUnits(values.get('ScaleUnits') ?? null);
  const endpoint = newEndpoint(ctx, values, 'Stopped');
  checkSettings(endpoint);
  const outcome: OperationOutcome = { kind: 'settle', state: requested };
  return begin(tx, ctx, requested === 'Running' ? { ...endpoint, State: 'Starting' } : endpoint, outcome);
}

export function startStreamingEndpoint(tx: Transaction, ctx: EndpointContext, id: string): OperationRecord {
  return transition(tx, ctx, id, { from: 'Stopped', via: 'Starting', to: 'Running', verb: 'started' });
}

export function stopStreamingEndpoint(tx: Transaction, ctx: EndpointContext, id: string): OperationRecord {
  return transition(tx, ctx, id, { from: 'Running', via: 'Stopping', to: 'Stopped', verb: 'stopped' });
}

/** Start or Stop: only from `from`, showing `via` until the operation completes in `to`. */
function transition(tx: Transaction, ctx: EndpointContext, id: string, step: { from: 'Running' | 'Stopped'; via: StreamingEndpointState; to: 'Running' | 'Stopped'; verb: string }): OperationRecord {
  managed(tx, ctx);
  const endpoint = findStreamingEndpoint(tx, id);
  const refusal = busy(endpoint) ?? (endpoint.State !== step.from ? invalidTransition(endpoint, step.verb, step.from) : undefined);
  if (refusal) return failed(tx, ctx, endpoint, refusal);
  return begin(tx, ctx, { ...endpoint, State: step.via }, { kind: 'settle', state: step.to }).operation;
}

/** Scale: allowed Running or Stopped (the service's state tables, §4.2); the endpoint returns to that state. */
export function scaleStreamingEndpoint(tx: Transaction, ctx: EndpointContext, id: string, scaleUnits: unknown): OperationRecord {
  managed(tx, ctx);
  const endpoint = findStreamingEndpoint(tx, id);
  const units = checkScaleUnits(scaleUnits);
  if (units === null) throw invalid('Scale needs scaleUnits: POST the body {"scaleUnits": N} with N a whole number, 0 or more', 'BadRequest');
  const refusal = busy(endpoint);
  if (refusal) return failed(tx, ctx, endpoint, refusal);
  const back = endpoint.State === 'Running' ? 'Running' : 'Stopped';
  return begin(tx, ctx, { ...endpoint, State: 'Scaling' }, { kind: 'scale', scaleUnits: units, state: back }).operation;
}

export function deleteStreamingEndpoint(tx: Transaction, ctx: EndpointContext, id: string): OperationRecord {
  managed(tx, ctx);
  const endpoint = findStreamingEndpoint(tx, id);
  const refusal = isDefaultEndpoint(endpoint)
    ? { code: 'DeleteNotAllowedOnDefaultOrigin' as const, message: `The default StreamingEndpoint '${endpoint.Name}' cannot be deleted` }
    : (busy(endpoint) ?? (endpoint.State !== 'Stopped' ? invalidTransition(endpoint, 'deleted', 'Stopped') : undefined));
  if (refusal) return failed(tx, ctx, endpoint, refusal);
  return begin(tx, ctx, { ...endpoint, State: 'Deleting' }, { kind: 'delete' }).operation;
}

/**
 * MERGE StreamingEndpoints('..'): the new settings are stored at once. A running endpoint
 * applies them as an operation (202); a stopped one synchronously (no operation). Refused (409)
 * while another operation changes the endpoint.
 */
export function updateStreamingEndpoint(tx: Transaction, ctx: EndpointContext, id: string, next: (current: StreamingEndpointRecord) => StreamingEndpointRecord): OperationRecord | undefined {
  managed(tx, ctx);
  const current = findStreamingEndpoint(tx, id);
  if (current._internal.operationId !== null) {
    throw conflicting(`The StreamingEndpoint '${current.Name}' is ${current.State}: wait for its operation ${current._internal.operationId} to finish`, 'SettingsUpdateInProgress');
  }
  // State is the operations' to change; the .NET SDK echoes it in every MERGE.
  const updated: StreamingEndpointRecord = { ...next(current), Id: current.Id, Name: current.Name, State: current.State, LastModified: ctx.now.toISOString(), _internal: current._internal };
  checkSettings(updated);
  if (current.State !== 'Running') {
    tx.put(SE, updated.Id, updated);
    return undefined;
  }
  return begin(tx, ctx, updated, { kind: 'settings' }).operation;
}

/**
 * A read of `Operations('<id>')`: one poll. The operation completes (and its change applies) at
 * once, or on the N-th poll under `--operation-progression polls:N`.
 */
export function pollOperation(tx: Transaction, ctx: EndpointContext, id: string): OperationRecord {
  const operation = findOperation(tx, id);
  if (operation.State !== 'InProgress') return operation;
  const polled: OperationRecord = { ...operation, _internal: { ...operation._internal, polls: operation._internal.polls + 1 } };
  if (!pollCompletes(polled, ctx.pacing)) {
    putOperation(tx, polled);
    return polled;
  }
  return complete(tx, ctx, polled);
}

/**
 * Whether the origin may answer through `name` (undefined: the default endpoint's host). Returns
 * why not, or undefined when it may: the endpoint runs (or scales while running), or no client
 * has managed endpoints yet (compat, see StreamingEndpointInternal.compatOrigin).
 */
export function originRefusal(reader: StoreReader, name: string | undefined): { status: 404; code: string; message: string } | undefined {
  const fallback = endpointNamed(reader, DEFAULT_STREAMING_ENDPOINT_NAME);
  const endpoint = name === undefined ? fallback : endpointNamed(reader, name);
  if (name !== undefined && !endpoint) return { status: 404, code: 'StreamingEndpointNotFound', message: `No StreamingEndpoint is named ${JSON.stringify(name.slice(0, 40))}` };
  if (!fallback || fallback._internal.compatOrigin) return name === undefined ? undefined : serving(reader, endpoint!);
  return serving(reader, endpoint!);
}

function serving(reader: StoreReader, endpoint: StreamingEndpointRecord): { status: 404; code: string; message: string } | undefined {
  if (endpoint.State === 'Running' || (endpoint.State === 'Scaling' && scalingBackTo(reader, endpoint) === 'Running')) return undefined;
  return {
    status: 404,
    code: 'StreamingEndpointNotRunning',
    message: `The StreamingEndpoint '${endpoint.Name}' is ${endpoint.State}; the origin answers only through a running endpoint: POST StreamingEndpoints('${endpoint.Id}')/Start`,
  };
}

/** A Scaling endpoint keeps the state it scales from; it is recorded with its operation. */
function scalingBackTo(reader: StoreReader, endpoint: StreamingEndpointRecord): 'Running' | 'Stopped' | undefined {
  const id = endpoint._internal.operationId;
  const operation = id ? reader.get<OperationRecord>(COLLECTIONS.Operations, id) : undefined;
  return operation?._internal.outcome.kind === 'scale' ? operation._internal.outcome.state : undefined;
}

function newEndpoint(ctx: EndpointContext, values: ReadonlyMap<string, CanonicalValue>, state: StreamingEndpointState): StreamingEndpointRecord {
  const now = ctx.now.toISOString();
  const name = String(values.get('Name'));
  const value = <T extends Json>(key: string, fallback: T): Json => (values.get(key) ?? fallback) as Json;
  return {
    Id: formatNbId(STREAMING_ENDPOINT_ID_TAG, ctx.ids.guid()),
    Name: name,
    Description: (values.get('Description') as string | null | undefined) ?? null,
    Created: now,
    LastModified: now,
    State: state,
    HostName: hostNameOf(ctx.host, name),
    ScaleUnits: (values.get('ScaleUnits') as number | null | undefined) ?? 0,
    CdnEnabled: values.get('CdnEnabled') === true,
    CdnProvider: (values.get('CdnProvider') as string | null | undefined) ?? null,
    CdnProfile: (values.get('CdnProfile') as string | null | undefined) ?? null,
    FreeTrialEndTime: NO_FREE_TRIAL,
    // The .NET SDK's default for new endpoints (§4.1).
    StreamingEndpointVersion: (values.get('StreamingEndpointVersion') as string | null | undefined) ?? '2.0',
    CustomHostNames: value('CustomHostNames', []),
    AccessControl: value('AccessControl', null),
    CacheControl: value('CacheControl', null),
    CrossSiteAccessPolicies: value('CrossSiteAccessPolicies', null),
    _internal: { operationId: null, compatOrigin: false },
  };
}

function checkScaleUnits(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalid(`ScaleUnits ${JSON.stringify(value)} must be a whole number, 0 or more`, 'BadRequest');
  return value;
}

/** CustomHostNames need the CDN off (§4.1). */
function checkSettings(endpoint: StreamingEndpointRecord): void {
  if (endpoint.CdnEnabled && Array.isArray(endpoint.CustomHostNames) && endpoint.CustomHostNames.length > 0) {
    throw invalid('CustomHostNames cannot be set on a StreamingEndpoint with CdnEnabled true: turn the CDN off or clear CustomHostNames', 'BadRequest');
  }
}

type Refused = { code: 'InvalidOperation' | 'OperationInProgress' | 'DeleteNotAllowedOnDefaultOrigin'; message: string };

function busy(endpoint: StreamingEndpointRecord): Refused | undefined {
  if (endpoint._internal.operationId === null) return undefined;
  return { code: 'OperationInProgress', message: `The StreamingEndpoint '${endpoint.Name}' is ${endpoint.State} (operation ${endpoint._internal.operationId}); wait until it finishes` };
}

function invalidTransition(endpoint: StreamingEndpointRecord, verb: string, needed: StreamingEndpointState): Refused {
  return { code: 'InvalidOperation', message: `The StreamingEndpoint '${endpoint.Name}' is ${endpoint.State}; it can be ${verb} only when ${needed}` };
}

/** An operation that will fail: the endpoint is left as it is (and not marked busy). */
function failed(tx: Transaction, ctx: EndpointContext, endpoint: StreamingEndpointRecord, refusal: Refused): OperationRecord {
  const operation = newOperation(ctx.ids, endpoint.Id, { kind: 'fail', code: refusal.code, message: refusal.message });
  if (ctx.pacing.mode === 'immediate') {
    const done = finished(operation);
    putOperation(tx, done);
    return done;
  }
  putOperation(tx, operation);
  return operation;
}

/** Store the endpoint in its transitional state with its operation, completing it at once when immediate. */
function begin(tx: Transaction, ctx: EndpointContext, endpoint: StreamingEndpointRecord, outcome: OperationOutcome): { endpoint: StreamingEndpointRecord; operation: OperationRecord } {
  const operation = newOperation(ctx.ids, endpoint.Id, outcome);
  const busyEndpoint: StreamingEndpointRecord = { ...endpoint, LastModified: ctx.now.toISOString(), _internal: { ...endpoint._internal, operationId: operation.Id } };
  tx.put(SE, busyEndpoint.Id, busyEndpoint);
  putOperation(tx, operation);
  if (ctx.pacing.mode !== 'immediate') return { endpoint: busyEndpoint, operation };
  const done = complete(tx, ctx, operation);
  return { endpoint: tx.get<StreamingEndpointRecord>(SE, busyEndpoint.Id) ?? busyEndpoint, operation: done };
}

/** Apply an operation's outcome to its endpoint and finish it. */
function complete(tx: Transaction, ctx: EndpointContext, operation: OperationRecord): OperationRecord {
  const outcome = operation._internal.outcome;
  const id = operation.TargetEntityId;
  const endpoint = id ? tx.get<StreamingEndpointRecord>(SE, id) : undefined;
  if (endpoint && outcome.kind !== 'fail') {
    const settled: StreamingEndpointRecord = { ...endpoint, LastModified: ctx.now.toISOString(), _internal: { ...endpoint._internal, operationId: null } };
    if (outcome.kind === 'delete') tx.delete(SE, endpoint.Id);
    else if (outcome.kind === 'settle') tx.put(SE, endpoint.Id, { ...settled, State: outcome.state });
    else if (outcome.kind === 'scale') tx.put(SE, endpoint.Id, { ...settled, State: outcome.state, ScaleUnits: outcome.scaleUnits });
    else tx.put(SE, endpoint.Id, settled);
  }
  const done = finished(operation);
  putOperation(tx, done);
  return done;
}
