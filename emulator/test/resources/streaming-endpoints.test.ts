import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchBody, readBatchResponse, type PartResponse } from '../../../client/src/rest/batch-wire.js';
import { entityPath, startTestEmulator, type AmsResponse, type JsonBody, type TestEmulator } from '../../../test/support/emulator.js';
import { errorMessage } from '../helpers/api-fixtures.js';
import { atomEntries, atomProperties, parseXml } from '../helpers/clients-xml.js';

/**
 * StreamingEndpoints and Operations over real HTTP (ams-v2-surface.md §4): the default endpoint,
 * every change that takes time answered 202 with `operation-id`, Operations that complete at once
 * or on their N-th poll, and the changes the service refused as Failed operations.
 */

let emu: TestEmulator;
beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(() => emu.close());
beforeEach(() => emu.reset());

const ATOM = { Accept: 'application/atom+xml' };
const VERBOSE = { Accept: 'application/json;odata=verbose' };

async function endpoints(target: TestEmulator = emu): Promise<JsonBody[]> {
  const res = await target.ams('GET', 'StreamingEndpoints');
  expect(res.status, res.text).toBe(200);
  return res.body.value;
}

async function defaultEndpoint(target: TestEmulator = emu): Promise<JsonBody> {
  const found = (await endpoints(target)).filter((e) => e.Name === 'default');
  expect(found).toHaveLength(1);
  return found[0]!;
}

async function endpoint(id: string, target: TestEmulator = emu): Promise<JsonBody> {
  const res = await target.ams('GET', entityPath('StreamingEndpoints', id));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

/** A 202 with no body and an operation id: the one thing the SDKs read from an action. */
function operationIdOf(res: AmsResponse): string {
  expect(res.status, res.text).toBe(202);
  const id = res.headers.get('operation-id');
  expect(id).toMatch(/^nb:opid:UUID:[0-9a-f-]{36}$/);
  return id!;
}

async function act(id: string, action: 'Start' | 'Stop' | 'Scale', body: unknown = '', target: TestEmulator = emu): Promise<string> {
  const res = await target.ams('POST', `${entityPath('StreamingEndpoints', id)}/${action}`, { body, headers: { 'Content-Type': 'application/json' } });
  const operation = operationIdOf(res);
  if (action !== 'Scale' || typeof body !== 'string') expect(res.text).toBe('');
  return operation;
}

async function operation(id: string, target: TestEmulator = emu): Promise<JsonBody> {
  const res = await target.ams('GET', entityPath('Operations', id));
  expect(res.status, res.text).toBe(200);
  return res.body;
}

async function create(body: JsonBody, target: TestEmulator = emu): Promise<{ entity: JsonBody; operationId: string }> {
  const res = await target.ams('POST', 'StreamingEndpoints', { body });
  const operationId = operationIdOf(res);
  expect(res.headers.get('location')).toBe(`${target.url}${entityPath('StreamingEndpoints', res.body.Id)}`);
  return { entity: res.body, operationId };
}

describe('the default endpoint', () => {
  it('exists from the start, Stopped, named "default", with its HostName on the emulator', async () => {
    const all = await endpoints();
    expect(all).toHaveLength(1);
    const [fallback] = all;
    expect(fallback).toMatchObject({ Name: 'default', State: 'Stopped', ScaleUnits: 0, CdnEnabled: false, HostName: `${new URL(emu.url).host}/origin`, CustomHostNames: [] });
    expect(fallback!.Id).toMatch(/^nb:oid:UUID:/);
    expect(fallback!.FreeTrialEndTime).toBe('0001-01-01T00:00:00.0000000Z');
    // The same one every time, and again after a reset.
    expect((await defaultEndpoint()).Id).toBe(fallback!.Id);
    await emu.reset();
    expect((await defaultEndpoint()).State).toBe('Stopped');
  });

  it('cannot be deleted: the operation fails with DeleteNotAllowedOnDefaultOrigin', async () => {
    const fallback = await defaultEndpoint();
    const op = await operation(operationIdOf(await emu.ams('DELETE', entityPath('StreamingEndpoints', fallback.Id))));
    expect(op).toMatchObject({ State: 'Failed', ErrorCode: 'DeleteNotAllowedOnDefaultOrigin', TargetEntityId: fallback.Id });
    expect(op.ErrorMessage).toContain('default');
    expect((await endpoint(fallback.Id)).State).toBe('Stopped');
  });
});

describe('the operation lifecycle (immediate progression)', () => {
  it('Start then Stop: 202 + operation-id, the operation Succeeded, the endpoint Running then Stopped', async () => {
    const { Id } = await defaultEndpoint();
    const started = await operation(await act(Id, 'Start'));
    expect(started).toEqual({ 'odata.metadata': expect.stringContaining('#Operations/@Element'), Id: expect.any(String), State: 'Succeeded', TargetEntityId: Id, ErrorCode: null, ErrorMessage: null });
    expect((await endpoint(Id)).State).toBe('Running');
    expect((await operation(await act(Id, 'Stop'))).State).toBe('Succeeded');
    expect((await endpoint(Id)).State).toBe('Stopped');
  });

  it('Scale sets ScaleUnits, from Stopped or Running, and leaves the state as it was', async () => {
    const { Id } = await defaultEndpoint();
    expect((await operation(await act(Id, 'Scale', { scaleUnits: 2 }))).State).toBe('Succeeded');
    expect(await endpoint(Id)).toMatchObject({ ScaleUnits: 2, State: 'Stopped' });
    await act(Id, 'Start');
    // Java sends a Jackson map; the name is matched without case and a quoted number is read.
    expect((await operation(await act(Id, 'Scale', '{"ScaleUnits":"3"}'))).State).toBe('Succeeded');
    expect(await endpoint(Id)).toMatchObject({ ScaleUnits: 3, State: 'Running' });
  });

  it('Scale without a valid scaleUnits is a 400, before any operation', async () => {
    const { Id } = await defaultEndpoint();
    for (const body of ['', '{}', '{"scaleUnits":-1}', '{"scaleUnits":1.5}', '{"scaleUnits":"many"}', '[1]', 'not json']) {
      const res = await emu.ams('POST', `${entityPath('StreamingEndpoints', Id)}/Scale`, { body, headers: { 'Content-Type': 'application/json' } });
      expect(res.status, body).toBe(400);
      expect(res.headers.get('operation-id'), body).toBeNull();
    }
    expect((await endpoint(Id)).ScaleUnits).toBe(0);
  });

  it('create answers 202 with the entity, Location and operation-id; State Running starts it', async () => {
    const stopped = await create({ Name: 'ep-stopped', Description: 'd', ScaleUnits: 1 });
    expect(stopped.entity).toMatchObject({ Name: 'ep-stopped', Description: 'd', ScaleUnits: 1, State: 'Stopped', StreamingEndpointVersion: '2.0' });
    expect(stopped.entity.HostName).toBe(`${new URL(emu.url).host}/origin/ep-stopped`);
    expect((await operation(stopped.operationId)).State).toBe('Succeeded');
    const running = await create({ Name: 'ep-running', State: 'Running', ScaleUnits: 0, Id: 'ignored', Created: '2001-01-01T00:00:00Z' });
    expect(running.entity.Id).toMatch(/^nb:oid:UUID:/);
    expect(running.entity.Created).not.toContain('2001');
    expect((await endpoint(running.entity.Id)).State).toBe('Running');
    expect((await endpoints()).map((e) => e.Name).sort()).toEqual(['default', 'ep-running', 'ep-stopped']);
  });

  it('create refuses a bad name (400), a taken one in any case (409), a bad State or ScaleUnits (400)', async () => {
    await create({ Name: 'taken' });
    const cases: [JsonBody, number, string][] = [
      [{ Name: 'TAKEN' }, 409, 'already exists'],
      [{ Name: 'Default' }, 409, 'already exists'],
      [{}, 400, 'Name'],
      [{ Name: '-lead' }, 400, 'not valid'],
      [{ Name: 'has space' }, 400, 'not valid'],
      [{ Name: 'x'.repeat(33) }, 400, ''],
      [{ Name: 'ok', State: 'Starting' }, 400, 'Stopped or Running'],
      [{ Name: 'ok', ScaleUnits: -2 }, 400, 'ScaleUnits'],
      [{ Name: 'ok', CdnEnabled: true, CustomHostNames: ['a.example'] }, 400, 'CustomHostNames'],
    ];
    for (const [body, status, message] of cases) {
      const res = await emu.ams('POST', 'StreamingEndpoints', { body });
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(errorMessage(res.body), JSON.stringify(body)).toContain(message);
      expect(res.headers.get('operation-id')).toBeNull();
    }
    expect((await endpoints()).map((e) => e.Name).sort()).toEqual(['default', 'taken']);
  });

  it('delete of a stopped endpoint removes it (202); then 404', async () => {
    const { entity } = await create({ Name: 'gone' });
    expect((await operation(operationIdOf(await emu.ams('DELETE', entityPath('StreamingEndpoints', entity.Id))))).State).toBe('Succeeded');
    expect((await emu.ams('GET', entityPath('StreamingEndpoints', entity.Id))).status).toBe(404);
  });
});

describe('changes the state forbids: the operation fails, nothing changes', () => {
  it.each([
    ['start a running endpoint', 'Running', (id: string) => act(id, 'Start'), 'InvalidOperation'],
    ['stop a stopped endpoint', 'Stopped', (id: string) => act(id, 'Stop'), 'InvalidOperation'],
    ['delete a running endpoint', 'Running', (id: string) => emu.ams('DELETE', entityPath('StreamingEndpoints', id)).then(operationIdOf), 'InvalidOperation'],
  ] as const)('%s: Failed with %s', async (_what, state, request, code) => {
    const { entity } = await create({ Name: 'subject', State: state });
    const before = await endpoint(entity.Id);
    const op = await operation(await request(entity.Id));
    expect(op).toMatchObject({ State: 'Failed', ErrorCode: code, TargetEntityId: entity.Id });
    expect(op.ErrorMessage).toContain(`is ${state}`);
    const after = await endpoint(entity.Id);
    expect(after.State).toBe(state);
    expect(after.LastModified).toBe(before.LastModified);
  });
});

describe('MERGE', () => {
  const settings = {
    CdnEnabled: false,
    CdnProvider: 'StandardVerizon',
    CustomHostNames: ['cdn.example.com', 'media.example.com'],
    CacheControl: { MaxAge: '1800' },
    CrossSiteAccessPolicies: { ClientAccessPolicy: '<access-policy/>', CrossDomainPolicy: '<cross-domain-policy/>' },
    AccessControl: {
      Akamai: { AkamaiSignatureHeaderAuthenticationKeyList: [{ Identifier: 'k1', Expiration: '2030-01-02T03:04:05.678Z', Base64Key: 'AAEC' }] },
      IP: { Allow: [{ Name: 'office', Address: '10.0.0.0', SubnetPrefixLength: 8 }] },
    },
  };

  it('of a stopped endpoint: 204, every setting stored and read back in JSON (milliseconds kept)', async () => {
    const { Id } = await defaultEndpoint();
    const res = await emu.ams('MERGE', entityPath('StreamingEndpoints', Id), { body: settings });
    expect(res.status, res.text).toBe(204);
    expect(res.headers.get('operation-id')).toBeNull();
    const read = await endpoint(Id);
    expect(read).toMatchObject({ ...settings, AccessControl: { ...settings.AccessControl, Akamai: { AkamaiSignatureHeaderAuthenticationKeyList: [{ Identifier: 'k1', Expiration: '2030-01-02T03:04:05.6780000Z', Base64Key: 'AAEC' }] } } });
  });

  it('of a running endpoint: 202 with an operation that succeeds; the settings apply', async () => {
    const { Id } = await defaultEndpoint();
    await act(Id, 'Start');
    const op = await operation(operationIdOf(await emu.ams('MERGE', entityPath('StreamingEndpoints', Id), { body: { CacheControl: { MaxAge: 2000 } } })));
    expect(op.State).toBe('Succeeded');
    expect((await endpoint(Id)).CacheControl).toEqual({ MaxAge: '2000' });
  });

  it('round-trips the settings in Atom (as the Java SDK sends them: CustomHostName items) and verbose JSON', async () => {
    const { Id } = await defaultEndpoint();
    const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
    const M = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
    const ns = 'Microsoft.Cloud.Media.Vod.Rest.Data.Models';
    const entry = `<?xml version="1.0" encoding="utf-8"?><entry xmlns="http://www.w3.org/2005/Atom" xmlns:d="${D}" xmlns:m="${M}"><content type="application/xml"><m:properties>
      <d:Description>atom</d:Description>
      <d:CustomHostNames><d:CustomHostName>a.example</d:CustomHostName><d:CustomHostName>b.example</d:CustomHostName></d:CustomHostNames>
      <d:CacheControl m:type="${ns}.StreamingEndpointCacheControl"><d:MaxAge m:type="Edm.Int64">600</d:MaxAge></d:CacheControl>
      <d:AccessControl><d:IP><d:Allow><d:element><d:Name>n</d:Name><d:Address>1.2.3.4</d:Address><d:SubnetPrefixLength>32</d:SubnetPrefixLength></d:element></d:Allow></d:IP><d:Akamai m:null="true"/></d:AccessControl>
      <d:CrossSiteAccessPolicies m:null="true"/>
    </m:properties></content></entry>`;
    const res = await emu.ams('MERGE', entityPath('StreamingEndpoints', Id), { body: entry, headers: { 'Content-Type': 'application/atom+xml' } });
    expect(res.status, res.text).toBe(204);
    const atom = await emu.ams('GET', entityPath('StreamingEndpoints', Id), { headers: ATOM });
    const [read] = atomEntries(parseXml(atom.text));
    const props = atomProperties(read!);
    expect(props['Description']).toBe('atom');
    expect(atom.text).toContain(`<d:CustomHostNames m:type="Collection(Edm.String)"><d:element>a.example</d:element><d:element>b.example</d:element></d:CustomHostNames>`);
    expect(atom.text).toContain(`<d:CacheControl m:type="${ns}.StreamingEndpointCacheControl"><d:MaxAge m:type="Edm.Int64">600</d:MaxAge></d:CacheControl>`);
    expect(atom.text).toContain(`<d:SubnetPrefixLength m:type="Edm.Int32">32</d:SubnetPrefixLength>`);
    const verbose = await emu.ams('GET', entityPath('StreamingEndpoints', Id), { headers: VERBOSE });
    expect(verbose.body.d.__metadata.type).toBe(`${ns}.StreamingEndpoint`);
    expect(verbose.body.d.CustomHostNames).toEqual({ __metadata: { type: 'Collection(Edm.String)' }, results: ['a.example', 'b.example'] });
    expect(verbose.body.d.AccessControl.IP.Allow.results[0]).toMatchObject({ Name: 'n', Address: '1.2.3.4', SubnetPrefixLength: 32 });
    // A verbose client sends back what it read.
    const echo = await emu.ams('MERGE', entityPath('StreamingEndpoints', Id), { body: { d: verbose.body.d }, headers: { 'Content-Type': 'application/json;odata=verbose' } });
    expect(echo.status, echo.text).toBe(204);
    expect((await endpoint(Id)).AccessControl.IP.Allow).toEqual([{ Name: 'n', Address: '1.2.3.4', SubnetPrefixLength: 32 }]);
  });

  it('refuses changing Name or ScaleUnits (400), malformed settings (400); State in the body is ignored', async () => {
    const { Id } = await defaultEndpoint();
    for (const body of [{ Name: 'other' }, { ScaleUnits: 4 }, { CacheControl: 'big' }, { CustomHostNames: 'one' }, { AccessControl: { IP: { Allow: [{ SubnetPrefixLength: 'x' }] } } }, { Unknown: 1 }]) {
      const res = await emu.ams('MERGE', entityPath('StreamingEndpoints', Id), { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await emu.ams('MERGE', entityPath('StreamingEndpoints', Id), { body: { Name: 'default', ScaleUnits: 0, State: 'Running' } })).status).toBe(204);
    expect(await endpoint(Id)).toMatchObject({ Name: 'default', State: 'Stopped' });
  });
});

describe('ids, methods and queries', () => {
  it('400 for a malformed id, 404 for an unknown one, on every verb and action and on Operations', async () => {
    const unknown = 'nb:oid:UUID:00000000-0000-4000-8000-000000000000';
    for (const [method, suffix] of [['GET', ''], ['DELETE', ''], ['MERGE', ''], ['POST', '/Start'], ['POST', '/Stop'], ['POST', '/Scale']] as const) {
      const body = method === 'MERGE' ? { Description: 'x' } : suffix === '/Scale' ? { scaleUnits: 1 } : undefined;
      expect((await emu.ams(method, `${entityPath('StreamingEndpoints', 'notAValidId')}${suffix}`, { body })).status, `${method}${suffix}`).toBe(400);
      expect((await emu.ams(method, `${entityPath('StreamingEndpoints', unknown)}${suffix}`, { body })).status, `${method}${suffix}`).toBe(404);
    }
    expect((await emu.ams('GET', entityPath('Operations', 'nb:oid:UUID:00000000-0000-4000-8000-000000000000'))).status).toBe(400);
    expect((await emu.ams('GET', entityPath('Operations', 'nb:opid:UUID:00000000-0000-4000-8000-000000000000'))).status).toBe(404);
  });

  it('actions are POST only; Operations are read-only', async () => {
    const { Id } = await defaultEndpoint();
    expect((await emu.ams('GET', `${entityPath('StreamingEndpoints', Id)}/Start`)).status).toBe(405);
    const op = await act(Id, 'Start');
    expect((await emu.ams('DELETE', entityPath('Operations', op))).status).toBe(405);
    expect((await emu.ams('POST', 'Operations', { body: {} })).status).toBe(405);
    expect((await emu.ams('POST', `${entityPath('StreamingEndpoints', Id)}/Restart`, { body: '' })).status).toBe(400);
  });

  it('$filter, $orderby, $top, $skip, $select, $inlinecount and $count', async () => {
    await create({ Name: 'b-run', State: 'Running' });
    await create({ Name: 'a-stop' });
    const names = async (query: string) => ((await emu.ams('GET', `StreamingEndpoints?${query}`)).body.value as JsonBody[]).map((e) => e.Name);
    expect(await names("$filter=State eq 'Running'")).toEqual(['b-run']);
    expect(await names('$orderby=Name desc')).toEqual(['default', 'b-run', 'a-stop']);
    expect(await names('$orderby=Name&$top=1&$skip=1')).toEqual(['b-run']);
    expect(await names("$filter=startswith(Name,'a') or ScaleUnits gt 5")).toEqual(['a-stop']);
    const selected = await emu.ams('GET', 'StreamingEndpoints?$select=Name,State&$inlinecount=allpages');
    expect(selected.body['odata.count']).toBe('3');
    expect(Object.keys(selected.body.value[0]).sort()).toEqual(['Name', 'State']);
    expect((await emu.ams('GET', 'StreamingEndpoints/$count')).text).toBe('3');
    // Structured properties cannot be compared or ordered: a 400 that says so.
    const refused = await emu.ams('GET', 'StreamingEndpoints?$orderby=CacheControl');
    expect(refused.status).toBe(400);
    expect(errorMessage(refused.body)).toContain('StreamingEndpointCacheControl');
  });

  it('lists in Atom with the type and complex values typed', async () => {
    await create({ Name: 'atom-one', CacheControl: { MaxAge: 5 } });
    const res = await emu.ams('GET', 'StreamingEndpoints', { headers: ATOM });
    expect(res.status).toBe(200);
    const entries = atomEntries(parseXml(res.text));
    expect(entries.map((e) => atomProperties(e)['Name']).sort()).toEqual(['atom-one', 'default']);
    expect(res.text).toContain('term="Microsoft.Cloud.Media.Vod.Rest.Data.Models.StreamingEndpoint"');
  });

  it('an OData error in the format asked for: Atom clients get XML', async () => {
    const res = await emu.ams('GET', entityPath('StreamingEndpoints', 'bad'), { headers: ATOM });
    expect(res.status).toBe(400);
    expect(res.text).toContain('<error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">');
  });
});

describe('$batch', () => {
  const BOUNDARY = 'batch_streaming';
  it('create and Start in a changeset, each answered as alone (202 + operation-id); a query after sees them', async () => {
    const { Id } = await defaultEndpoint();
    const json = { 'Content-Type': 'application/json', Accept: 'application/json' };
    const res = await emu.ams('POST', '$batch', {
      body: batchBody(BOUNDARY, [
        {
          changeset: [
            { method: 'POST', url: `${emu.url}StreamingEndpoints`, headers: json, body: JSON.stringify({ Name: 'batched' }) },
            { method: 'POST', url: `${emu.url}${entityPath('StreamingEndpoints', Id)}/Start`, headers: json, body: '' },
          ],
        },
        { method: 'GET', url: `${emu.url}StreamingEndpoints?$filter=State%20eq%20'Running'`, headers: json },
      ]),
      headers: { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}`, Accept: 'multipart/mixed' },
    });
    expect(res.status, res.text).toBe(202);
    const [first, query] = readBatchResponse(res.headers.get('content-type'), res.text);
    const [created, started] = (first as { changeset: PartResponse[] }).changeset;
    const header = (part: PartResponse, name: string) => Object.entries(part.headers).find(([k]) => k.toLowerCase() === name)?.[1];
    expect(created!.status).toBe(202);
    expect(JSON.parse(created!.body).Name).toBe('batched');
    expect(header(created!, 'operation-id')).toMatch(/^nb:opid:UUID:/);
    expect(started!.status).toBe(202);
    expect(header(started!, 'operation-id')).toMatch(/^nb:opid:UUID:/);
    expect(JSON.parse((query as PartResponse).body).value.map((e: JsonBody) => e.Name)).toEqual(['default']);
  });
});

describe('paced progression (--operation-progression polls:N)', () => {
  let paced: TestEmulator;
  beforeAll(async () => {
    paced = await startTestEmulator({ operationProgression: { mode: 'polls', pollsPerState: 2 } });
  });
  afterAll(() => paced.close());
  beforeEach(() => paced.reset());

  it('Start shows Starting and InProgress until the second poll, then Running and Succeeded', async () => {
    const { Id } = await defaultEndpoint(paced);
    const op = await act(Id, 'Start', '', paced);
    expect((await endpoint(Id, paced)).State).toBe('Starting');
    expect((await operation(op, paced)).State).toBe('InProgress');
    // Reading the endpoint is not a poll.
    expect((await endpoint(Id, paced)).State).toBe('Starting');
    expect((await operation(op, paced)).State).toBe('Succeeded');
    expect((await endpoint(Id, paced)).State).toBe('Running');
    expect((await operation(op, paced)).State).toBe('Succeeded');
  });

  it('while an operation runs, others fail with OperationInProgress and a MERGE is a 409', async () => {
    const { Id } = await defaultEndpoint(paced);
    const start = await act(Id, 'Start', '', paced);
    const stop = await act(Id, 'Stop', '', paced);
    const merge = await paced.ams('MERGE', entityPath('StreamingEndpoints', Id), { body: { Description: 'x' } });
    expect(merge.status).toBe(409);
    for (let i = 0; i < 2; i++) await operation(start, paced);
    await operation(stop, paced);
    expect(await operation(stop, paced)).toMatchObject({ State: 'Failed', ErrorCode: 'OperationInProgress' });
    expect((await endpoint(Id, paced)).State).toBe('Running');
  });

  it('each transitional state is shown until its operation completes: Scaling, Stopping, Deleting', async () => {
    const { entity, operationId } = await create({ Name: 'paced' }, paced);
    // The create is an operation too: the endpoint takes no other change until it completes.
    expect((await operation(operationId, paced)).State).toBe('InProgress');
    expect((await operation(operationId, paced)).State).toBe('Succeeded');
    const steps: [() => Promise<string>, string, (e: JsonBody | undefined) => void][] = [
      [() => act(entity.Id, 'Scale', { scaleUnits: 1 }, paced), 'Scaling', (e) => expect(e).toMatchObject({ State: 'Stopped', ScaleUnits: 1 })],
      [() => act(entity.Id, 'Start', '', paced), 'Starting', (e) => expect(e?.State).toBe('Running')],
      [() => act(entity.Id, 'Stop', '', paced), 'Stopping', (e) => expect(e?.State).toBe('Stopped')],
      [() => paced.ams('DELETE', entityPath('StreamingEndpoints', entity.Id)).then(operationIdOf), 'Deleting', (e) => expect(e).toBeUndefined()],
    ];
    for (const [request, transitional, settled] of steps) {
      const op = await request();
      expect((await endpoint(entity.Id, paced)).State).toBe(transitional);
      await operation(op, paced);
      expect((await operation(op, paced)).State).toBe('Succeeded');
      const after = await paced.ams('GET', entityPath('StreamingEndpoints', entity.Id));
      settled(after.status === 404 ? undefined : after.body);
    }
  });

  it('any sequence of actions keeps the endpoint in a state its operations explain (model check)', async () => {
    type Action = 'Start' | 'Stop' | 'Scale' | 'poll';
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Action>('Start', 'Stop', 'Scale', 'poll', 'poll'), { minLength: 1, maxLength: 12 }), async (actions) => {
        await paced.reset();
        const { Id } = await defaultEndpoint(paced);
        let settled: 'Running' | 'Stopped' = 'Stopped';
        let pending: { op: string; polls: number; next: 'Running' | 'Stopped'; shown: string } | undefined;
        for (const action of actions) {
          if (action === 'poll') {
            if (!pending) continue;
            const op = await operation(pending.op, paced);
            pending.polls++;
            if (pending.polls >= 2) {
              expect(op.State).toBe('Succeeded');
              settled = pending.next;
              pending = undefined;
            } else expect(op.State).toBe('InProgress');
            continue;
          }
          const op = await act(Id, action, action === 'Scale' ? { scaleUnits: 1 } : '', paced);
          const allowed = !pending && (action === 'Scale' || (action === 'Start' ? settled === 'Stopped' : settled === 'Running'));
          if (allowed) {
            const next = action === 'Start' ? 'Running' : action === 'Stop' ? 'Stopped' : settled;
            pending = { op, polls: 0, next, shown: action === 'Start' ? 'Starting' : action === 'Stop' ? 'Stopping' : 'Scaling' };
          } else {
            await operation(op, paced);
            expect((await operation(op, paced)).State).toBe('Failed');
          }
          expect((await endpoint(Id, paced)).State).toBe(pending ? pending.shown : settled);
        }
      }),
      { numRuns: 15 },
    );
  });
});

describe('across a restart (file mode)', () => {
  it('endpoints, their states, a pending operation and the compat rule are kept', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ams-streaming-'));
    try {
      const first = await startTestEmulator({ location: dir, operationProgression: { mode: 'polls', pollsPerState: 1 } });
      let op: string;
      let id: string;
      try {
        ({ Id: id } = await defaultEndpoint(first));
        await create({ Name: 'kept', ScaleUnits: 2 }, first);
        op = await act(id, 'Start', '', first);
        expect((await endpoint(id, first)).State).toBe('Starting');
      } finally {
        await first.close();
      }
      const second = await startTestEmulator({ location: dir, operationProgression: { mode: 'polls', pollsPerState: 1 } });
      try {
        expect((await endpoint(id, second)).State).toBe('Starting');
        expect((await operation(op, second)).State).toBe('Succeeded');
        expect((await endpoints(second)).map((e) => [e.Name, e.State, e.ScaleUnits]).sort()).toEqual([['default', 'Running', 0], ['kept', 'Stopped', 2]]);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
