import { ATOM_NS, METADATA_NS, RELATED_REL } from '../odata/edm.js';
import { checkDepth } from '../odata/body.js';
import { badRequest } from '../odata/errors.js';
import { bodyFormat } from '../odata/format.js';

/**
 * The .NET, Java and PHP SDKs create a job as `POST Jobs` (Content-ID 1) followed, in the same
 * changeset, by one `POST $1/Tasks` per task. The service created them together; the emulator
 * does the same by folding those task bodies into the job's body as a deep insert (JSON: the
 * navigation property's array; Atom: a `related/<Nav>` link holding an `m:inline` feed), so the
 * job's own create handler sees one request with its tasks inline. Nothing here is job-specific.
 */

export interface InlineChild {
  body: Buffer;
  contentType: string | undefined;
  /** 1-based position in the batch, for messages. */
  index: number;
}

/** `maxDepth`: the body nesting limit, checked before folding (a 100k-deep array would overflow the stack when written back). */
export function foldInline(parentBody: Buffer, parentType: string | undefined, navigation: string, children: readonly InlineChild[], maxDepth: number): Buffer {
  const format = formatOf(parentBody, parentType);
  for (const child of children) {
    if (formatOf(child.body, child.contentType) !== format) {
      throw badRequest(`Operation ${child.index} posts to the ${navigation} of an entity created in the same changeset in another format than that entity's request: send both as ${format === 'xml' ? 'Atom' : 'JSON'}`);
    }
  }
  return format === 'xml' ? foldAtom(parentBody, navigation, children) : foldJson(parentBody, navigation, children, maxDepth);
}

function formatOf(body: Buffer, contentType: string | undefined): 'xml' | 'json' {
  const declared = bodyFormat(contentType);
  if (declared === 'xml' || declared === 'json') return declared;
  const first = body.toString('utf8', 0, Math.min(body.length, 64)).replace(/^\uFEFF/, '').trimStart()[0];
  return first === '<' ? 'xml' : 'json';
}

function foldJson(parentBody: Buffer, navigation: string, children: readonly InlineChild[], maxDepth: number): Buffer {
  const parent = unwrapVerbose(parseObject(parentBody, 'The entity', maxDepth));
  const existing = parent[navigation];
  const items: unknown[] = Array.isArray(existing)
    ? [...existing]
    : typeof existing === 'object' && existing !== null && Array.isArray((existing as { results?: unknown }).results)
      ? [...(existing as { results: unknown[] }).results]
      : [];
  for (const child of children) items.push(unwrapVerbose(parseObject(child.body, `Operation ${child.index}`, maxDepth)));
  return Buffer.from(JSON.stringify({ ...parent, [navigation]: items }), 'utf8');
}

function parseObject(body: Buffer, what: string, maxDepth: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`${what}: the request body is not valid JSON: ${(err as Error).message}`);
  }
  try {
    checkDepth(value, maxDepth);
  } catch (err) {
    throw badRequest(`${what}: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest(`${what}: the request body must be a JSON object`);
  return value as Record<string, unknown>;
}

function unwrapVerbose(body: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(body);
  return keys.length === 1 && keys[0] === 'd' && typeof body['d'] === 'object' && body['d'] !== null && !Array.isArray(body['d']) ? (body['d'] as Record<string, unknown>) : body;
}

/**
 * The child entries go, without their XML declarations, into a link inserted before the parent's
 * closing `</entry>` tag. The inserted elements declare their own namespaces, so the parent's
 * prefixes do not matter; the hardened Atom reader then checks the result as it would any body.
 */
function foldAtom(parentBody: Buffer, navigation: string, children: readonly InlineChild[]): Buffer {
  const parent = parentBody.toString('utf8').replace(/\s+$/, '');
  const close = /<\/(?:[A-Za-z_][\w.-]*:)?entry\s*>$/.exec(parent);
  if (!close) throw badRequest(`The entity's Atom body does not end with its </entry> tag, so the ${navigation} posted in the same changeset cannot be added to it`);
  const entries = children.map((child) => withoutDeclaration(child.body.toString('utf8'), child.index));
  const link =
    `<link xmlns="${ATOM_NS}" xmlns:m="${METADATA_NS}" rel="${RELATED_REL}${navigation}" type="application/atom+xml;type=feed" title="${navigation}">` +
    `<m:inline><feed>${entries.join('')}</feed></m:inline></link>`;
  return Buffer.from(parent.slice(0, close.index) + link + parent.slice(close.index), 'utf8');
}

function withoutDeclaration(xml: string, index: number): string {
  const text = xml.replace(/^\uFEFF/, '').trim();
  const declaration = /^<\?xml[^?]*\?>/.exec(text);
  const rest = declaration ? text.slice(declaration[0].length).trimStart() : text;
  if (!rest.startsWith('<')) throw badRequest(`Operation ${index}: the request body is not an Atom entry`);
  return rest;
}
