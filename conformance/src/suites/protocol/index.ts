import { isJsonObject, type JsonValue } from '../../../../client/src/rest/wire-format.js';
import { expectThat, type CaseRecorder } from '../../runner/recorder.js';
import type { Suite, SuiteContext } from '../types.js';
import { crudProperty } from './crud.js';
import { ENTITY_SETS } from './entity-sets.js';
import { expectStatus } from './expect.js';
import { functionsCheck, KNOWN_FUNCTIONS } from './functions.js';
import { batchCheck } from './batch.js';
import { headersCheck } from './headers.js';
import { idsProperty } from './ids.js';
import { linksCheck } from './links.js';
import { KEY_DELIVERY_SETS, keyDeliveryCheck } from './key-delivery.js';
import { queryProperty } from './query.js';
import { readOnlyCheck } from './read-only.js';
import { streamingCheck } from './streaming.js';
import { parseXml, type XmlNode } from './xml.js';

/**
 * Protocol: every entity set and service operation the endpoint declares (and the kit knows), in
 * JSON minimal, verbose and Atom: status codes, Location, ids, `$links`, query options, error
 * bodies, 400 versus 404 for malformed versus unknown ids, x-ms-version, Prefer and `$batch`.
 */
export const protocolSuite: Suite = {
  id: 'protocol',
  title: 'Protocol',
  summary: 'entity sets and service operations answer as the AMS v2 (OData v3) service did, in JSON minimal, verbose and Atom',
  async run(context, cases) {
    const served = await discover(context, cases);
    const sets = ENTITY_SETS.filter((s) => served.sets.has(s.set));
    const unknownSets = [...served.sets].filter((s) => !ENTITY_SETS.some((k) => k.set === s) && !(KEY_DELIVERY_SETS as readonly string[]).includes(s));
    const unknownFunctions = [
      ...[...served.functions].filter((f) => !(KNOWN_FUNCTIONS as readonly string[]).includes(f)),
      ...[...served.actions].filter((a) => !(KNOWN_ACTIONS as readonly string[]).includes(a)),
    ];
    const notServed = ENTITY_SETS.filter((s) => !served.sets.has(s.set)).map((s) => s.set);
    if (notServed.length > 0) cases.notApplicable('sets-not-served', `checks of ${notServed.join(', ')}`, 'the endpoint does not declare these entity sets', 'check');
    if (unknownSets.length + unknownFunctions.length > 0) {
      cases.notApplicable('not-covered', `the endpoint also serves ${[...unknownSets, ...unknownFunctions].join(', ')}`, 'the kit has no checks for them', 'check');
    }
    await crudProperty(context, cases, sets);
    await idsProperty(context, cases, sets);
    if (served.sets.has('Assets')) await queryProperty(context, cases);
    if (served.sets.has('Assets') && served.sets.has('ContentKeys')) await linksCheck(context, cases);
    await functionsCheck(context, cases, served.functions);
    await readOnlyCheck(context, cases, sets);
    if (served.sets.has('Assets')) await headersCheck(context, cases);
    if (served.sets.has('Assets') && served.sets.has('Files')) await batchCheck(context, cases);
    if (served.sets.has('StreamingEndpoints') && served.sets.has('Operations')) await streamingCheck(context, cases);
    if (KEY_DELIVERY_SETS.every((set) => served.sets.has(set))) await keyDeliveryCheck(context, cases);
  },
};

interface Served {
  sets: Set<string>;
  functions: Set<string>;
  /** Entity-bound actions (`<Set>/<Name>`): FunctionImports with IsBindable="true", bound to their first parameter's type. */
  actions: Set<string>;
}

/** The bound actions the kit checks: GetKeyDeliveryUrl in the key-delivery check, the endpoint's in the streaming check. */
const KNOWN_ACTIONS = ['ContentKey/GetKeyDeliveryUrl', 'StreamingEndpoint/Start', 'StreamingEndpoint/Stop', 'StreamingEndpoint/Scale'] as const;

/** What the endpoint declares: entity sets from the service document and $metadata, functions and bound actions from $metadata. */
async function discover(context: SuiteContext, cases: CaseRecorder): Promise<Served> {
  const served: Served = { sets: new Set(), functions: new Set(), actions: new Set() };
  const result = await cases.check('service-document', 'the service document (GET /api/) and $metadata declare the same entity sets, and $metadata the service operations', async () => {
    const root = await context.target.raw.send('GET', { path: '', accept: 'application/json' });
    expectStatus(root, 200, 'GET the service document (JSON)');
    const fromDocument = serviceDocumentSets(root.text);
    const metadata = await context.target.raw.send('GET', { path: '$metadata', accept: 'application/xml' });
    expectStatus(metadata, 200, 'GET $metadata');
    const { sets, functions, actions } = metadataDeclarations(parseXml(metadata.text));
    for (const name of fromDocument) served.sets.add(name);
    for (const name of functions) served.functions.add(name);
    for (const name of actions) served.actions.add(name);
    const onlyInOne = [...fromDocument].filter((s) => !sets.has(s)).concat([...sets].filter((s) => !fromDocument.has(s)));
    expectThat(onlyInOne.length === 0, `the service document and $metadata disagree about ${onlyInOne.join(', ')}`);
  });
  if (result.status === 'failed' && served.sets.size === 0) {
    // Without a usable service document, check every set and function the kit knows.
    for (const spec of ENTITY_SETS) served.sets.add(spec.set);
    for (const name of KNOWN_FUNCTIONS) served.functions.add(name);
  }
  return served;
}

function serviceDocumentSets(text: string): Set<string> {
  let body: JsonValue;
  try {
    body = JSON.parse(text) as JsonValue;
  } catch {
    throw new Error('the JSON service document is not JSON');
  }
  const list = isJsonObject(body) ? (Array.isArray(body['value']) ? body['value'] : isJsonObject(body['d']) ? body['d']['EntitySets'] : undefined) : undefined;
  if (!Array.isArray(list)) throw new Error('the JSON service document has no list of entity sets ("value")');
  return new Set(list.map((item) => (isJsonObject(item) && typeof item['name'] === 'string' ? item['name'] : typeof item === 'string' ? item : '')).filter((n) => n !== ''));
}

function metadataDeclarations(root: XmlNode): Served {
  const out: Served = { sets: new Set(), functions: new Set(), actions: new Set() };
  const attribute = (node: XmlNode, local: string) => node.attributes.find((a) => a.local === local && a.uri === '')?.value;
  const visit = (node: XmlNode): void => {
    const name = attribute(node, 'Name');
    if (name && node.local === 'EntitySet') out.sets.add(name);
    if (name && node.local === 'FunctionImport') {
      if (attribute(node, 'IsBindable') === 'true') {
        // Bound to its first parameter's entity type: `<Type>/<Name>` (namespace dropped).
        const bound = node.children.find((c) => c.local === 'Parameter');
        out.actions.add(`${(bound && attribute(bound, 'Type'))?.split('.').pop() ?? '?'}/${name}`);
      } else {
        out.functions.add(name);
      }
    }
    node.children.forEach(visit);
  };
  visit(root);
  return out;
}
