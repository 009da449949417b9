import { randomBytes } from 'node:crypto';
import { entityPath } from '../../../../client/src/index.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import type { RawResponse } from '../../target/http.js';
import type { SuiteContext } from '../types.js';
import { FORMATS, formatById, type WireFormatSpec } from './formats.js';
import { describe, expectStatus, readEntity, readFeed } from './expect.js';

/** Starting an endpoint took minutes on the service; the emulator completes at once or on polls. */
const OPERATION_TIMEOUT_MS = 15 * 60_000;
const JSON_FORMAT = formatById('minimal');

/**
 * StreamingEndpoints and their Operations (ams-v2-surface.md §4), in every format: the default
 * endpoint exists; create answers 202 with the entity, Location and `operation-id`; Start, Stop and
 * delete are operations that succeed; a Start of a running endpoint and a delete of the default
 * one are accepted and their operations fail with the service's ErrorCode. Each endpoint the check
 * makes is stopped and deleted again.
 */
export async function streamingCheck(context: SuiteContext, cases: CaseRecorder): Promise<void> {
  const { target } = context;
  await cases.check(
    'streaming-endpoints',
    "StreamingEndpoints in JSON minimal, verbose and Atom: the default endpoint, create (202, entity, Location, operation-id), Start, Stop and DELETE as operations that succeed, and Start of a running or DELETE of the default endpoint as operations that fail with InvalidOperation / DeleteNotAllowedOnDefaultOrigin",
    async () => {
      const listed = await target.raw.send('GET', { path: 'StreamingEndpoints', accept: JSON_FORMAT.accept });
      expectStatus(listed, 200, 'GET StreamingEndpoints');
      const fallback = readFeed(listed, JSON_FORMAT, 'GET StreamingEndpoints').find((e) => e.properties['Name']?.toLowerCase() === 'default');
      expectThat(fallback !== undefined, 'GET StreamingEndpoints lists no endpoint named default (every account has one)');
      const refused = await operationOf(context, await target.raw.send('DELETE', { path: entityPath('StreamingEndpoints', fallback.properties['Id']!), accept: JSON_FORMAT.accept }), 'DELETE of the default StreamingEndpoint');
      expectThat(refused.state === 'Failed' && refused.code === 'DeleteNotAllowedOnDefaultOrigin', `the DELETE of the default StreamingEndpoint ended ${refused.state} ${refused.code ?? ''}, not Failed DeleteNotAllowedOnDefaultOrigin`);
      for (const format of FORMATS) await lifecycle(context, format);
    },
  );
}

async function lifecycle(context: SuiteContext, format: WireFormatSpec): Promise<void> {
  const { target } = context;
  const name = `amsconf${randomBytes(4).toString('hex')}`;
  const what = describe('POST', 'StreamingEndpoints', format);
  const created = await target.raw.send('POST', { path: 'StreamingEndpoints', accept: format.accept, contentType: format.contentType, body: format.encodeEntity({ Name: { type: 'Edm.String', value: name } }) });
  expectStatus(created, 202, what);
  const entity = readEntity(created, format, what);
  const id = entity.properties['Id'];
  expectThat(typeof id === 'string' && /^nb:oid:UUID:/i.test(id), `${what}: the entity's Id ${JSON.stringify(id)} is not nb:oid:UUID:<guid>`);
  const path = entityPath('StreamingEndpoints', id);
  try {
    expectThat(entity.properties['Name'] === name, `${what}: Name came back as ${JSON.stringify(entity.properties['Name'])}`);
    expectThat(created.headers.get('location') !== null, `${what}: 202 without a Location header`);
    expectSucceeded(await operationOf(context, created, what), what);
    expectSucceeded(await operationOf(context, await action(context, path, 'Start', format), `Start (${format.title})`), `Start (${format.title})`);
    const running = readEntity(await target.raw.send('GET', { path, accept: format.accept }), format, describe('GET', path, format));
    expectThat(running.properties['State'] === 'Running', `after Start succeeded, the endpoint is ${JSON.stringify(running.properties['State'])}, not Running`);
    const again = await operationOf(context, await action(context, path, 'Start', format), 'a second Start');
    expectThat(again.state === 'Failed' && again.code === 'InvalidOperation', `Start of a running endpoint ended ${again.state} ${again.code ?? ''}, not Failed InvalidOperation`);
    expectSucceeded(await operationOf(context, await action(context, path, 'Stop', format), `Stop (${format.title})`), `Stop (${format.title})`);
    expectSucceeded(await operationOf(context, await target.raw.send('DELETE', { path, accept: format.accept }), describe('DELETE', path, format)), describe('DELETE', path, format));
    const gone = await target.raw.send('GET', { path, accept: format.accept });
    expectStatus(gone, 404, `GET ${path} after its delete succeeded`);
  } finally {
    await cleanUp(context, path);
  }
}

function action(context: SuiteContext, path: string, name: 'Start' | 'Stop', format: WireFormatSpec): Promise<RawResponse> {
  // Entity actions take JSON bodies whatever the entity format (the Java SDK's Jackson map).
  return context.target.raw.send('POST', { path: `${path}/${name}`, accept: format.accept, contentType: 'application/json', body: '{}' });
}

interface OperationOutcome {
  state: string;
  code: string | null;
}

/** The 202's `operation-id`, polled until it leaves InProgress. */
async function operationOf(context: SuiteContext, response: RawResponse, what: string): Promise<OperationOutcome> {
  expectStatus(response, 202, what);
  const id = response.headers.get('operation-id');
  expectThat(id !== null && /^nb:opid:UUID:/i.test(id), `${what}: 202 without an operation-id header nb:opid:UUID:<guid> (got ${JSON.stringify(id)})`);
  const deadline = Date.now() + OPERATION_TIMEOUT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 5000)) {
    const path = entityPath('Operations', id);
    const read = await context.target.raw.send('GET', { path, accept: JSON_FORMAT.accept });
    expectStatus(read, 200, `GET ${path}`);
    const operation = readEntity(read, JSON_FORMAT, `GET ${path}`).properties;
    const state = operation['State'] ?? '';
    expectThat(['InProgress', 'Succeeded', 'Failed'].includes(state), `GET ${path}: State ${JSON.stringify(state)} is not InProgress, Succeeded or Failed`);
    if (state !== 'InProgress') return { state, code: operation['ErrorCode'] ?? null };
    expectThat(Date.now() < deadline, `${what}: the operation ${id} was still InProgress after ${OPERATION_TIMEOUT_MS / 60_000} minutes`);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

function expectSucceeded(outcome: OperationOutcome, what: string): void {
  expectThat(outcome.state === 'Succeeded', `${what}: the operation ended ${outcome.state} ${outcome.code ?? ''}, not Succeeded`);
}

/** Best effort after a failure: stop the endpoint if it runs, then delete it. */
async function cleanUp(context: SuiteContext, path: string): Promise<void> {
  const read = await context.target.raw.send('GET', { path, accept: JSON_FORMAT.accept }).catch(() => undefined);
  if (!read || read.status !== 200) return;
  const state = readEntity(read, JSON_FORMAT, `GET ${path}`).properties['State'];
  if (state === 'Running') await operationOf(context, await action(context, path, 'Stop', JSON_FORMAT), 'cleanup Stop').catch(() => undefined);
  await operationOf(context, await context.target.raw.send('DELETE', { path, accept: JSON_FORMAT.accept }), 'cleanup DELETE').catch(() => undefined);
}
