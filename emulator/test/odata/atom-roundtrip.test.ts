import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTITY_TYPES, qualifiedName, type ComplexTypeDef, type EdmPrimitive, type EntityTypeDef, type PropertyDef } from '../../src/odata/edm.js';
import { entityPath } from '../../src/odata/urls.js';
import { formatEdmValue, readAtomEntry, writeAtomEntry, writeAtomFeed, type AtomEntryBody, type AtomTree } from '../../src/odata/atom/index.js';
import { el, serializeDocument } from '../../src/odata/atom/xml-writer.js';
import { parseWritten, type Node as ParsedElement } from '../fixtures/atom/support.js';

const ATOM = 'http://www.w3.org/2005/Atom';
const D = 'http://schemas.microsoft.com/ado/2007/08/dataservices';
const M = 'http://schemas.microsoft.com/ado/2007/08/dataservices/metadata';
const ctx = { serviceRoot: 'http://127.0.0.1:10010/api/', now: new Date('2026-01-02T03:04:05.000Z') };

/** What XML 1.0 can carry (the Char production); everything else is written as U+FFFD. */
function xmlChars(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    const ok = c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
    out += ok ? ch : '\uFFFD';
  }
  return out;
}

const special = fc.constantFrom('<', '>', '&', '"', "'", ']]>', '&amp;', '&foo;', '&#38;', '\r', '\r\n', '\t', '\n', ' ', 'é', 'ü', '😀', '中', '\u0000', '\u0001', '\uD800', '\uDFFF', '\uFFFE', 'x');
const anyString = fc.oneof(
  fc.string({ unit: special, maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
/** Keys end up in URLs; encodeURIComponent cannot take lone surrogates, and real keys are nb: ids anyway. */
const keyString = fc.oneof(fc.uuid().map((u) => `nb:cid:UUID:${u}`), fc.string({ unit: fc.constantFrom('a', "'", '&', '<', '/', ':', 'é', '😀', ' '), minLength: 1, maxLength: 8 }));

function primitive(type: EdmPrimitive): fc.Arbitrary<unknown> {
  switch (type) {
    case 'Edm.String':
      return anyString;
    case 'Edm.Int32':
      return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    case 'Edm.Int64':
      return fc.oneof(fc.constantFrom(2n ** 63n - 1n, -(2n ** 63n), 0n), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map(String);
    case 'Edm.Double':
      return fc.oneof(fc.double(), fc.constantFrom(440, 0.5, 10, 1e20, 1e21, 5e-7, -0, Number.MAX_VALUE, Number.MIN_VALUE));
    case 'Edm.Boolean':
      return fc.boolean();
    case 'Edm.DateTime':
      return fc
        .date({ min: new Date('0001-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true })
        .map((d) => d.toISOString());
    case 'Edm.Guid':
      return fc.uuid();
  }
}

function propertyValue(p: PropertyDef): fc.Arbitrary<unknown> {
  if (p.complexCollection) return fc.option(fc.array(complexValue(p.complexCollection), { maxLength: 3 }), { nil: null });
  if (p.complex) return fc.option(complexValue(p.complex), { nil: null });
  if (p.primitiveCollection) return fc.option(fc.array(primitive(p.type), { maxLength: 3 }), { nil: null });
  return fc.option(primitive(p.type), { nil: null });
}

/** A complex value whose fields may themselves be complex values or collections. */
function complexValue(complex: ComplexTypeDef): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(complex.properties.map((f) => [f.name, propertyValue(f)])));
}

function recordOf(type: EntityTypeDef): fc.Arbitrary<Record<string, unknown>> {
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of type.properties) fields[p.name] = propertyValue(p);
  fields[type.key] = type.properties.find((p) => p.name === type.key)?.type === 'Edm.Guid' ? fc.uuid() : keyString;
  return fc.record(fields);
}

/** What reading the written entry must give back: our own formatting of each value, as text. */
function expectedProperties(type: EntityTypeDef, record: Record<string, unknown>): AtomEntryBody['properties'] {
  const out: AtomEntryBody['properties'] = {};
  for (const p of type.properties) {
    const value = record[p.name];
    if (p.complexCollection) {
      out[p.name] = { elements: treeOf(p, value) as Record<string, AtomTree>[], type: `Collection(${qualifiedName(p.complexCollection)})` };
    } else if (p.complex || p.primitiveCollection) {
      out[p.name] = { tree: treeOf(p, value) };
    } else {
      out[p.name] = p.type === 'Edm.String' ? { text: text(p.type, value) } : { text: text(p.type, value), type: p.type };
    }
  }
  return out;
}

/** A structured value as the reader gives it back: text leaves; a collection is never null (written empty). */
function treeOf(p: PropertyDef, value: unknown): AtomTree {
  if (p.complexCollection || p.primitiveCollection) {
    const items = (value as unknown[] | null) ?? [];
    const complex = p.complexCollection;
    return complex ? items.map((item) => complexTree(complex, item as Record<string, unknown>)) : items.map((item) => text(p.type, item));
  }
  if (p.complex) return value === null ? null : complexTree(p.complex, value as Record<string, unknown>);
  return text(p.type, value);
}

/** A structured property element as this test's parser sees it, in the reader's tree form. */
function parsedTree(p: PropertyDef, element: ParsedElement): AtomTree {
  if (element.attrs[`{${M}}null`] === 'true') return null;
  if (p.complexCollection || p.primitiveCollection) {
    const complex = p.complexCollection;
    return element.children.map((item) => (complex ? parsedFields(complex, item) : parsedTree({ ...p, primitiveCollection: false }, item)));
  }
  if (p.complex) return parsedFields(p.complex, element);
  return element.text;
}

function parsedFields(complex: ComplexTypeDef, element: ParsedElement): Record<string, AtomTree> {
  return Object.fromEntries(element.children.map((c) => [c.local, parsedTree(complex.properties.find((f) => f.name === c.local)!, c)]));
}

function complexTree(complex: ComplexTypeDef, item: Record<string, unknown>): Record<string, AtomTree> {
  return Object.fromEntries(complex.properties.map((f) => [f.name, treeOf(f, item[f.name])]));
}

function text(type: EdmPrimitive, value: unknown): string | null {
  const formatted = formatEdmValue(type, value);
  return formatted === null ? null : xmlChars(formatted);
}

/** Our formatting loses nothing: each text parses back to the stored value. */
function parsesBack(type: EdmPrimitive, written: string, value: unknown): boolean {
  switch (type) {
    case 'Edm.String':
      return written === xmlChars(value as string);
    case 'Edm.Int32':
      return Number(written) === value && !written.includes('.');
    case 'Edm.Int64':
      return BigInt(written) === BigInt(value as string);
    case 'Edm.Double': {
      const n = written === 'INF' ? Infinity : written === '-INF' ? -Infinity : Number(written);
      return Object.is(n, value) && (written.includes('.') || written.includes('E') || ['NaN', 'INF', '-INF'].includes(written));
    }
    case 'Edm.Boolean':
      return written === String(value);
    case 'Edm.DateTime':
      // Seven fractional digits, UTC, and the same instant.
      return written.length === 28 && written.endsWith('0000Z') && new Date(`${written.slice(0, 23)}Z`).toISOString() === value;
    case 'Edm.Guid':
      return written === value;
  }
}

describe('round trip: readAtomEntry(writeAtomEntry(record))', () => {
  for (const type of ENTITY_TYPES) {
    it(`${type.name}: gives back every value as our formatted text, and the XML parses`, () => {
      fc.assert(
        fc.property(recordOf(type), (record) => {
          const xml = writeAtomEntry(ctx, type, record);
          parseWritten(xml); // well-formed for an independent parser
          const body = readAtomEntry(xml, type);
          expect(body.properties).toEqual(expectedProperties(type, record));
          const path = entityPath(type, record[type.key] as string);
          expect(body.links).toEqual(type.navigation.map((n) => ({ navigation: n.name, href: `${path}/${n.name}` })));
        }),
        { numRuns: 60 },
      );
    });
  }

  it('formatted text parses back to the stored value for every primitive type', () => {
    const types: EdmPrimitive[] = ['Edm.String', 'Edm.Int32', 'Edm.Int64', 'Edm.Double', 'Edm.Boolean', 'Edm.DateTime'];
    for (const type of types) {
      fc.assert(
        fc.property(primitive(type), (value) => parsesBack(type, xmlChars(formatEdmValue(type, value)!), value)),
        { numRuns: 300 },
      );
    }
  });

  it('feeds: every entry carries the same texts, for an independent parser', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ENTITY_TYPES), fc.integer({ min: 0, max: 3 }), fc.context(), (type, n, log) => {
        const records = fc.sample(recordOf(type), { numRuns: n, seed: n });
        const xml = writeAtomFeed(ctx, type, records, { count: n });
        log.log(xml);
        const { root } = parseWritten(xml);
        const entries = root.children.filter((c) => c.name === `{${ATOM}}entry`);
        expect(entries).toHaveLength(n);
        entries.forEach((entry, i) => {
          const props = entry.children.find((c) => c.local === 'content')!.children.find((c) => c.name === `{${M}}properties`)!;
          const expected = expectedProperties(type, records[i]!);
          for (const p of props.children) {
            expect(p.uri).toBe(D);
            const def = type.properties.find((q) => q.name === p.local)!;
            if (def.complex || def.complexCollection || def.primitiveCollection) {
              // A structured value: its elements read by this parser, fields and items with our formatting.
              expect(parsedTree(def, p)).toEqual(treeOf(def, records[i]![p.local]));
              continue;
            }
            const want = expected[p.local]!;
            if ('text' in want && want.text !== null) expect(p.text).toBe(want.text);
            if ('text' in want && want.text === null) expect(p.attrs[`{${M}}null`]).toBe('true');
          }
        });
      }),
      { numRuns: 40 },
    );
  });

  it('text and attribute values survive writing and parsing exactly (characters XML cannot carry become U+FFFD)', () => {
    fc.assert(
      fc.property(anyString, anyString, (t, a) => {
        const { root } = parseWritten(serializeDocument(el('r', { a }, [t])));
        expect(root.attrs['a']).toBe(xmlChars(a));
        expect(root.text).toBe(xmlChars(t));
      }),
      { numRuns: 1000 },
    );
  });
});
