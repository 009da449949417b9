import { describe, expect, it } from 'vitest';
import { readEntityBody, type BodyOptions, type EntityBody } from '../../src/odata/body.js';
import { Job, Locator } from '../../src/odata/edm.js';
import { expectODataError, fixture } from '../fixtures/atom/support.js';

/**
 * Deep insert in request bodies: a job's Tasks sent inside the POST Jobs body, in the three forms
 * clients used (verbose JSON, minimal JSON, Atom `<m:inline>`), and the refusal everywhere else.
 */

const ATOM = 'http://www.w3.org/2005/Atom';
const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
const M = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
const REL = `${D}/related/`;
const LIMITS = { maxDepth: 32 };
const TASKS: BodyOptions = { inline: ['Tasks'] };
const ASSET_URL = "https://media.windows.net/api/Assets('nb%3Acid%3AUUID%3A33662ded-f00b-4020-9fcf-4c4a22070c01')";
const MPID = 'nb:mpid:UUID:aec03716-7c5e-4f68-b592-f4850eba9f10';
const TASK_BODY = '<taskBody><inputAsset>JobInputAsset(0)</inputAsset><outputAsset assetName="out" assetCreationOptions="0">JobOutputAsset(0)</outputAsset></taskBody>';

function json(body: unknown, contentType = 'application/json', options = TASKS): EntityBody {
  return readEntityBody(Buffer.from(JSON.stringify(body)), contentType, Job, LIMITS, options);
}

function values(body: EntityBody): Record<string, unknown> {
  return Object.fromEntries(body.values);
}

describe('deep insert in JSON bodies', () => {
  it('verbose: __metadata.uri inputs and inline Tasks (the documented REST form)', () => {
    const body = json(
      {
        Name: 'decrypt',
        InputMediaAssets: [{ __metadata: { uri: ASSET_URL } }],
        Tasks: [{ Configuration: '', MediaProcessorId: MPID, TaskBody: TASK_BODY }],
      },
      'application/json;odata=verbose',
    );
    expect(values(body)).toEqual({ Name: 'decrypt' });
    expect(body.bindings).toEqual([{ navigation: 'InputMediaAssets', reference: ASSET_URL }]);
    expect(body.inline).toHaveLength(1);
    expect(body.inline[0]!.navigation).toBe('Tasks');
    expect(body.inline[0]!.entries.map(values)).toEqual([{ Configuration: '', MediaProcessorId: MPID, TaskBody: TASK_BODY }]);
  });

  it('verbose with the {"d":…} wrapper, {"results":[…]} collections and a task __metadata that names only its type', () => {
    const body = json({
      d: {
        InputMediaAssets: { results: [{ __metadata: { uri: ASSET_URL } }] },
        Tasks: { results: [{ __metadata: { type: 'Microsoft.Cloud.Media.Vod.Rest.Data.Models.Task' }, Name: 't1', MediaProcessorId: MPID, TaskBody: TASK_BODY, State: 0 }, { Name: 't2', MediaProcessorId: MPID }] },
      },
    });
    expect(body.bindings).toHaveLength(1);
    const [first, second] = body.inline[0]!.entries;
    expect(values(first!)).toEqual({ Name: 't1', MediaProcessorId: MPID, TaskBody: TASK_BODY });
    expect(first!.ignored).toEqual(['State']);
    expect(values(second!)).toEqual({ Name: 't2', MediaProcessorId: MPID });
  });

  it('minimal: InputMediaAssets@odata.bind and an inline Tasks array', () => {
    const body = json({ 'InputMediaAssets@odata.bind': [ASSET_URL, ASSET_URL], Tasks: [{ MediaProcessorId: MPID, TaskBody: TASK_BODY, Options: 0 }] });
    expect(body.bindings).toEqual([
      { navigation: 'InputMediaAssets', reference: ASSET_URL },
      { navigation: 'InputMediaAssets', reference: ASSET_URL },
    ]);
    expect(body.inline[0]!.entries.map(values)).toEqual([{ MediaProcessorId: MPID, TaskBody: TASK_BODY, Options: 0 }]);
  });

  it('keeps bindings and new entities of one navigation apart, in order', () => {
    const taskUrl = "https://h/api/Tasks('nb:tid:UUID:8c8e7fd1-7c0a-4c87-8f4b-6b7e3b1d1f00')";
    const body = json({ Tasks: [{ __metadata: { uri: taskUrl } }, { Name: 'new' }] });
    expect(body.bindings).toEqual([{ navigation: 'Tasks', reference: taskUrl }]);
    expect(body.inline[0]!.entries.map(values)).toEqual([{ Name: 'new' }]);
  });

  it('no Tasks at all: no inline entries', () => {
    expect(json({ Name: 'j' }).inline).toEqual([]);
    expect(json({ Name: 'j', Tasks: [] }).inline).toEqual([]);
    expect(json({ Name: 'j', Tasks: { __deferred: { uri: 'x' } } }).inline).toEqual([]);
  });

  it('refuses inline entities where the caller did not allow them (the behaviour of every other set)', () => {
    expectODataError(() => json({ Tasks: [{ Name: 'x' }] }, 'application/json', {}), 400, "'Tasks' must bind entities by URL");
    expectODataError(() => json({ InputMediaAssets: [{ Name: 'x' }] }), 400, "'InputMediaAssets' must bind entities by URL");
    expectODataError(
      () => readEntityBody(Buffer.from(JSON.stringify({ Asset: { Name: 'a' } })), 'application/json', Locator, LIMITS),
      400,
      "'Asset' must bind entities by URL",
    );
  });

  it('reads an inline entry against the target type, without deep insert of its own', () => {
    expectODataError(() => json({ Tasks: [{ Colour: 'red' }] }), 400, "'Colour' is not a property of Task");
    expectODataError(() => json({ Tasks: [{ Priority: 'high' }] }), 400, "'Priority' expects Edm.Int32");
    expectODataError(() => json({ Tasks: [{ InputMediaAssets: [{ Name: 'nested' }] }] }), 400, "'InputMediaAssets' must bind entities by URL");
    expectODataError(() => json({ Tasks: ['not an object'] }), 400, "'Tasks' must bind entities by URL");
  });
});

/** A Jobs entry in the .NET/WCF shape with the given links inside. */
function atomJob(links: string, properties = '<d:Name>decrypt</d:Name>'): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="utf-8"?><entry xmlns="${ATOM}" xmlns:d="${D}" xmlns:m="${M}">${links}<id /><title /><updated>2013-04-20T22:41:57Z</updated><author><name /></author>` +
      `<content type="application/xml"><m:properties>${properties}</m:properties></content></entry>`,
  );
}

/** The task entry the .NET SDK posts in its $batch, as an inline entry (its XML declaration dropped). */
function dotnetTaskEntry(): string {
  return fixture('dotnet-task-create.xml').toString('utf8').replace(/^<\?xml[^>]*\?>/, '');
}

const INPUT_LINK = `<link rel="${REL}InputMediaAssets" type="application/atom+xml;type=feed" title="InputMediaAssets" href="${ASSET_URL}" />`;

function atom(raw: Buffer, options = TASKS): EntityBody {
  return readEntityBody(raw, 'application/atom+xml', Job, LIMITS, options);
}

describe('deep insert in Atom bodies (<m:inline>)', () => {
  it('a feed of task entries inside the Tasks link, beside an InputMediaAssets binding', () => {
    const tasks = `<link rel="${REL}Tasks" type="application/atom+xml;type=feed" title="Tasks"><m:inline><feed><title type="text">Tasks</title><id>x</id>${dotnetTaskEntry()}${dotnetTaskEntry()}</feed></m:inline></link>`;
    const body = atom(atomJob(INPUT_LINK + tasks));
    expect(body.bindings).toEqual([{ navigation: 'InputMediaAssets', reference: ASSET_URL }]);
    const entries = body.inline[0]!.entries;
    expect(entries).toHaveLength(2);
    expect(entries[0]!.values.get('MediaProcessorId')).toBe('nb:mpid:UUID:70bdc2c3-ebf4-42a9-8542-5afc1e55d217');
    expect(String(entries[0]!.values.get('TaskBody'))).toContain('<outputAsset assetCreationOptions="0" assetName="Output asset">JobOutputAsset(0)</outputAsset>');
    expect(entries[0]!.ignored).toEqual(expect.arrayContaining(['State', 'Progress', 'ErrorDetails', 'HistoricalEvents', 'Id']));
  });

  it('one entry directly inside m:inline, in the Java/JAXB prefixes', () => {
    const entry = `<entry xmlns:ns2="${M}" xmlns:ns3="${D}"><content type="application/xml"><ns2:properties><ns3:MediaProcessorId>${MPID}</ns3:MediaProcessorId><ns3:TaskBody>${TASK_BODY.replace(/</g, '&lt;')}</ns3:TaskBody></ns2:properties></content></entry>`;
    const body = atom(atomJob(`<link rel="${REL}Tasks" title="Tasks"><m:inline>${entry}</m:inline></link>`));
    expect(body.inline[0]!.entries.map(values)).toEqual([{ MediaProcessorId: MPID, TaskBody: TASK_BODY }]);
  });

  it('an empty m:inline or an empty feed adds nothing', () => {
    expect(atom(atomJob(`<link rel="${REL}Tasks"><m:inline/></link>`)).inline).toEqual([]);
    expect(atom(atomJob(`<link rel="${REL}Tasks"><m:inline><feed/></m:inline></link>`)).inline).toEqual([]);
  });

  it('refuses inline content where the caller did not allow it, as before', () => {
    const tasks = `<link rel="${REL}Tasks"><m:inline><feed>${dotnetTaskEntry()}</feed></m:inline></link>`;
    expectODataError(() => atom(atomJob(tasks), {}), 400, 'Deep insert');
    expectODataError(() => atom(atomJob(`<link rel="${REL}InputMediaAssets"><m:inline><feed/></m:inline></link>`)), 400, 'Deep insert');
  });

  it('refuses malformed inline content with the place it is at', () => {
    expectODataError(() => atom(atomJob(`<link rel="${REL}Tasks"><feed/></link>`)), 400, 'only contain one m:inline', 'line 1');
    expectODataError(() => atom(atomJob(`<link rel="${REL}Tasks"><m:inline/><m:inline/></link>`)), 400, 'only contain one m:inline');
    expectODataError(() => atom(atomJob(`<link rel="${REL}Tasks"><m:inline><feed/><feed/></m:inline></link>`)), 400, 'one <feed> or one <entry>');
    expectODataError(() => atom(atomJob(`<link rel="${REL}Tasks"><m:inline><d:Name/></m:inline></link>`)), 400, 'an Atom <feed> or <entry>');
    expectODataError(() => atom(atomJob(`<link rel="${REL}Tasks"><m:inline>text</m:inline></link>`)), 400, 'Unexpected text inside m:inline');
    const badTask = `<entry><content type="application/xml"><m:properties><d:Colour>red</d:Colour></m:properties></content></entry>`;
    expectODataError(() => atom(atomJob(`<link rel="${REL}Tasks"><m:inline><feed>${badTask}</feed></m:inline></link>`)), 400, "'Colour' is not a property of", 'Task');
    const nested = `<entry><link rel="${REL}InputMediaAssets"><m:inline><feed/></m:inline></link></entry>`;
    expectODataError(() => atom(atomJob(`<link rel="${REL}Tasks"><m:inline><feed>${nested}</feed></m:inline></link>`)), 400, 'Deep insert');
  });
});
