import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssetFile, Locator, type EntityTypeDef } from '../../src/odata/edm.js';
import { ODataError } from '../../src/odata/errors.js';
import { evaluateFilter, parseFilter, type FilterExpression } from '../../src/odata/query/index.js';
import { Sample } from '../helpers/query-sample.js';

/** An AssetFile in canonical stored form (edm.ts): Int64 as a decimal string, DateTime as ISO UTC. */
function file(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    Id: 'nb:cid:UUID:00000000-0000-0000-0000-000000000001',
    Name: 'video.ism',
    ContentFileSize: '9007199254740993', // 2^53 + 1: not a double
    ParentAssetId: 'nb:cid:UUID:00000000-0000-0000-0000-0000000000aa',
    EncryptionVersion: '1.0',
    EncryptionScheme: 'StorageEncryption',
    IsEncrypted: true,
    EncryptionKeyId: null,
    InitializationVector: '18446744073709551615',
    IsPrimary: false,
    LastModified: '2015-06-01T12:30:45.123Z',
    Created: '2015-01-01T00:00:00.000Z',
    MimeType: null,
    ContentChecksum: null,
    Options: 0,
    ...overrides,
  };
}

function matches(filter: string, record: Record<string, unknown> = file(), type: EntityTypeDef = AssetFile): boolean {
  return evaluateFilter(parseFilter(filter, type), record, type);
}

describe('evaluateFilter: strings', () => {
  it('eq and ne are exact and case-sensitive', () => {
    expect(matches("Name eq 'video.ism'")).toBe(true);
    expect(matches("Name eq 'Video.ism'")).toBe(false);
    expect(matches("Name ne 'Video.ism'")).toBe(true);
    expect(matches("Name eq 'it''s'", file({ Name: "it's" }))).toBe(true);
  });

  it('ordering is ordinal (UTF-16 code units), not locale', () => {
    expect(matches("Name gt 'B'", file({ Name: 'a' }))).toBe(true); // 'a' (0x61) > 'B' (0x42)
    expect(matches("Name lt 'b'", file({ Name: 'a' }))).toBe(true);
    expect(matches("Name ge 'a'", file({ Name: 'a' }))).toBe(true);
    expect(matches("Name le 'a'", file({ Name: 'ab' }))).toBe(false);
    expect(matches("Name gt 'z'", file({ Name: 'é' }))).toBe(true);
  });

  it('the real-client shapes', () => {
    expect(matches("startswith(Name,'video')")).toBe(true);
    expect(matches("endswith(Name, 'ism')")).toBe(true);
    expect(matches("endswith(Name, 'ISM')")).toBe(false);
    expect(matches("ParentAssetId eq 'nb:cid:UUID:00000000-0000-0000-0000-0000000000aa'")).toBe(true);
    expect(matches("Id eq 'nb:cid:UUID:00000000-0000-0000-0000-000000000002'")).toBe(false);
  });
});

describe('evaluateFilter: numbers', () => {
  it('Int64 compares exactly as BigInt, beyond 2^53', () => {
    expect(matches('ContentFileSize eq 9007199254740993')).toBe(true);
    expect(matches('ContentFileSize eq 9007199254740992L')).toBe(false);
    expect(matches('ContentFileSize gt 9007199254740992L')).toBe(true);
    expect(matches('ContentFileSize gt 9007199254740992.0')).toBe(true); // the double 2^53, exactly
    expect(matches('ContentFileSize lt 9007199254740994.0')).toBe(true);
    expect(matches('ContentFileSize gt 10', file({ ContentFileSize: '9' }))).toBe(false); // numeric, not text
    expect(matches('ContentFileSize ge -1', file({ ContentFileSize: '0' }))).toBe(true);
    expect(matches('ContentFileSize eq 0m', file({ ContentFileSize: '0' }))).toBe(true);
    expect(matches('ContentFileSize lt 0.5m', file({ ContentFileSize: '0' }))).toBe(true);
  });

  it('Int32 and Double compare numerically across literal widths', () => {
    expect(matches('Options eq 0')).toBe(true);
    expect(matches('Options eq 0L')).toBe(true);
    expect(matches('Options lt 0.5')).toBe(true);
    expect(matches('Options gt -0.5d')).toBe(true);
    expect(matches('Options eq 0.0f')).toBe(true);
    expect(matches('DurationInMinutes eq 720', { DurationInMinutes: 720 }, { ...AssetFile, properties: [{ name: 'DurationInMinutes', type: 'Edm.Double', nullable: false }] })).toBe(true);
  });
});

describe('evaluateFilter: DateTime as instants', () => {
  it('with or without Z, with offsets and fractions', () => {
    expect(matches("Created eq datetime'2015-01-01T00:00:00'")).toBe(true);
    expect(matches("Created eq datetime'2015-01-01T00:00:00Z'")).toBe(true);
    expect(matches("Created eq datetime'2015-01-01T01:00:00+01:00'")).toBe(true);
    expect(matches("Created eq datetimeoffset'2014-12-31T19:00:00-05:00'")).toBe(true);
    expect(matches("Created lt datetime'2015-01-01T00:00:00.0000001'")).toBe(true); // 100 ns later
    expect(matches("LastModified eq datetime'2015-06-01T12:30:45.123'")).toBe(true);
    expect(matches("LastModified gt datetime'2015-06-01T12:30:45.1229999'")).toBe(true);
    expect(matches("LastModified lt datetime'2015-06-01T12:30:45.1230001'")).toBe(true);
    expect(matches("LastModified ge datetime'2015-06-01T12:30'")).toBe(true);
  });

  it('date-part functions read UTC', () => {
    expect(matches('year(LastModified) eq 2015 and month(LastModified) eq 6 and day(LastModified) eq 1')).toBe(true);
    expect(matches('hour(LastModified) eq 12 and minute(LastModified) eq 30 and second(LastModified) eq 45')).toBe(true);
  });
});

describe('evaluateFilter: booleans', () => {
  it('bare, compared, negated', () => {
    expect(matches('IsEncrypted')).toBe(true);
    expect(matches('IsPrimary')).toBe(false);
    expect(matches('IsPrimary eq false')).toBe(true);
    expect(matches('IsEncrypted ne true')).toBe(false);
    expect(matches('not IsPrimary')).toBe(true);
    expect(matches('IsEncrypted and not IsPrimary')).toBe(true);
    expect(matches('IsPrimary or IsEncrypted')).toBe(true);
    expect(matches('true')).toBe(true);
    expect(matches('false')).toBe(false);
    expect(matches('true eq false')).toBe(false);
  });
});

describe('evaluateFilter: null', () => {
  it('eq/ne treat null as a value; ordering comparisons with null are false', () => {
    expect(matches('MimeType eq null')).toBe(true);
    expect(matches('MimeType ne null')).toBe(false);
    expect(matches('Name eq null')).toBe(false);
    expect(matches('Name ne null')).toBe(true);
    expect(matches('null eq null')).toBe(true);
    expect(matches('null ne null')).toBe(false);
    expect(matches("MimeType gt 'a'")).toBe(false);
    expect(matches("MimeType le 'a'")).toBe(false);
    expect(matches('Options gt null')).toBe(false);
    expect(matches('Options lt null')).toBe(false);
    expect(matches("MimeType ne 'text/plain'")).toBe(true);
    expect(matches("not (MimeType gt 'a')")).toBe(true); // the comparison is false, not unknown
  });

  it('an absent property reads as null', () => {
    const record = file();
    delete record.MimeType;
    expect(matches('MimeType eq null', record)).toBe(true);
  });

  it('a function of null is null, and and/or/not use three-valued logic', () => {
    expect(matches("startswith(MimeType,'a')")).toBe(false);
    expect(matches("not startswith(MimeType,'a')")).toBe(false);
    expect(matches("startswith(MimeType,'a') eq false")).toBe(false);
    expect(matches("startswith(MimeType,'a') eq null")).toBe(true);
    expect(matches('length(MimeType) eq null')).toBe(true);
    expect(matches("startswith(MimeType,'a') or IsEncrypted")).toBe(true);
    expect(matches("startswith(MimeType,'a') and IsEncrypted")).toBe(false);
    expect(matches("not (startswith(MimeType,'a') and IsPrimary)")).toBe(true); // null and false = false
    expect(matches("not (startswith(MimeType,'a') or IsPrimary)")).toBe(false); // null or false = null
    expect(matches("startswith(Name, null)")).toBe(false);
  });
});

describe('evaluateFilter: functions', () => {
  const named = (name: string): Record<string, unknown> => file({ Name: name });
  it.each([
    ["substringof('deo', Name)", 'video.ism', true],
    ["substringof(Name, 'deo')", 'video.ism', false], // the needle comes first
    ["substringof('', Name)", 'video.ism', true],
    ["tolower(Name) eq 'video.ism'", 'VIDEO.ISM', true],
    ["toupper(Name) eq 'VIDEO.ISM'", 'video.ism', true],
    ["trim(Name) eq 'a b'", '  a b \t', true],
    ['length(Name) eq 9', 'video.ism', true],
    ['length(Name) eq 2', '🎬', true], // UTF-16 code units, as .NET
    ["indexof(Name, 'ism') eq 6", 'video.ism', true],
    ["indexof(Name, 'mp4') eq -1", 'video.ism', true],
    ["concat(Name, '.bak') eq 'video.ism.bak'", 'video.ism', true],
    ["concat(concat(Name, '-'), Name) eq 'a-a'", 'a', true],
    ["substring(Name, 6) eq 'ism'", 'video.ism', true],
    ["substring(Name, 0, 5) eq 'video'", 'video.ism', true],
    ["substring(Name, 50) eq ''", 'video.ism', true],
    ["substring(Name, -3, 2) eq 'vi'", 'video.ism', true],
    ["substring(Name, 2, -1) eq ''", 'video.ism', true],
    ["replace(Name, 'o', '0') eq 'vide0.ism'", 'video.ism', true],
    ["replace(Name, 'i', '') eq 'vdeo.sm'", 'video.ism', true],
    ["replace(Name, '', 'x') eq 'ab'", 'ab', true],
    ["startswith(tolower(Name), 'vid')", 'VIDEO', true],
  ])('%s on %s is %s', (filter, name, expected) => {
    expect(matches(filter, named(name))).toBe(expected);
  });

  it.each([
    ['round(Options) eq 2', 2, true],
    ['round(Options) eq 3', 2, false],
    ['round(2.5) eq 3 and round(-2.5) eq -3 and round(2.4) eq 2', 0, true], // midpoints away from zero
    ['floor(-1.5) eq -2 and ceiling(-1.5) eq -1 and floor(1.5) eq 1 and ceiling(1.5) eq 2', 0, true],
    ['round(1.5m) eq 2 and floor(7L) eq 7 and ceiling(2.25m) eq 3', 0, true],
  ])('%s with Options=%s is %s', (filter, options, expected) => {
    expect(matches(filter, file({ Options: options }))).toBe(expected);
  });
});

describe('evaluateFilter: stored values not in canonical form are a server bug, not a 400', () => {
  it.each([
    ['ContentFileSize eq 1', { ContentFileSize: 'big' }],
    ['ContentFileSize eq 1', { ContentFileSize: true }],
    ['Options eq 1', { Options: '1' }],
    ["Created eq datetime'2015-01-01T00:00:00'", { Created: 'not a date' }],
    ["Name eq 'x'", { Name: 5 }],
    ['IsPrimary', { IsPrimary: 'true' }],
  ])('%s over %j throws a plain Error', (filter, overrides) => {
    let thrown: unknown;
    try {
      matches(filter, file(overrides));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).not.toBeInstanceOf(ODataError);
  });

  it('Int64 held as a safe number or a bigint is still read', () => {
    expect(matches('ContentFileSize eq 5', file({ ContentFileSize: 5 }))).toBe(true);
    expect(matches('ContentFileSize eq 5', file({ ContentFileSize: 5n }))).toBe(true);
  });

  it('Locator ExpirationDateTime compares as an instant', () => {
    const locator = { Id: 'nb:lid:UUID:1', ExpirationDateTime: '2030-01-01T00:00:00.000Z', Type: 1 };
    expect(matches("ExpirationDateTime gt datetime'2029-12-31T23:59:59.999'", locator, Locator)).toBe(true);
  });
});

// ---- property: evaluation agrees with a direct JS predicate ----

interface SampleRecord {
  [key: string]: unknown;
  Id: string;
  Name: string | null;
  Count: number | null;
  Size: string | null;
  Ratio: number | null;
  Flag: boolean | null;
  When: string | null;
}

/** Small pools, so generated conditions hit equal values often. */
const NAMES = ['', 'a', 'ab', 'B', 'b', "o'k", 'é', 'a b'];
const SIZES = [-3n, 0n, 1n, 7n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 62n];
const RATIOS = [-1.5, 0, 0.5, 1, 720, 1e300];
const TIMES = [0, 1, 1_420_070_400_000, 1_420_070_400_001, 4_102_444_800_000];

const sampleRecord: fc.Arbitrary<SampleRecord> = fc.record({
  Id: fc.uuid(),
  Name: fc.option(fc.constantFrom(...NAMES)),
  Count: fc.option(fc.integer({ min: -3, max: 3 })),
  Size: fc.option(fc.constantFrom(...SIZES).map(String)),
  Ratio: fc.option(fc.constantFrom(...RATIOS)),
  Flag: fc.option(fc.boolean()),
  When: fc.option(fc.constantFrom(...TIMES).map((ms) => new Date(ms).toISOString())),
});

type Truth = boolean | null;
interface Condition {
  text: string;
  holds: (r: SampleRecord) => Truth;
}

type Op = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
const OPS: Op[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

/** The model's comparison, written directly: null equals only null, ordering with null is false. */
function modelCompare<V>(op: Op, a: V | null, b: V | null, less: (x: V, y: V) => boolean): boolean {
  if (a === null || b === null) return op === 'eq' ? a === b : op === 'ne' ? a !== b : false;
  const lt = less(a, b);
  const gt = less(b, a);
  const eq = !lt && !gt;
  return { eq, ne: !eq, gt, ge: gt || eq, lt, le: lt || eq }[op];
}

const jsLess = <V>(x: V, y: V): boolean => x < y;

function comparison<V>(property: keyof SampleRecord, read: (r: SampleRecord) => V | null, literals: fc.Arbitrary<{ text: string; value: V }>): fc.Arbitrary<Condition> {
  return fc.tuple(fc.constantFrom(...OPS), literals).map(([op, lit]) => ({
    text: `${String(property)} ${op} ${lit.text}`,
    holds: (r) => modelCompare(op, read(r), lit.value, jsLess),
  }));
}

const leafCondition: fc.Arbitrary<Condition> = fc.oneof(
  comparison('Name', (r) => r.Name, fc.constantFrom(...NAMES).map((v) => ({ text: `'${v.replace(/'/g, "''")}'`, value: v }))),
  comparison('Count', (r) => r.Count, fc.integer({ min: -4, max: 4 }).map((v) => ({ text: String(v), value: v }))),
  comparison('Count', (r) => r.Count, fc.constantFrom(-0.5, 0.5, 2.5).map((v) => ({ text: `${v}d`, value: v }))),
  comparison('Size', (r) => (r.Size === null ? null : BigInt(r.Size)), fc.constantFrom(...SIZES).map((v) => ({ text: `${v}L`, value: v }))),
  comparison('Ratio', (r) => r.Ratio, fc.constantFrom(...RATIOS).map((v) => ({ text: `${v}`.includes('e') ? `${v}d` : `${v}`, value: v }))),
  comparison('When', (r) => (r.When === null ? null : Date.parse(r.When)), fc.constantFrom(...TIMES).map((ms) => ({ text: `datetime'${new Date(ms).toISOString().replace('Z', '')}'`, value: ms }))),
  fc.constantFrom('eq', 'ne' as const).chain((op) =>
    fc.constantFrom<keyof SampleRecord>('Name', 'Count', 'Size', 'Ratio', 'Flag', 'When').map((property) => ({
      text: `${String(property)} ${op} null`,
      holds: (r: SampleRecord) => (op === 'eq') === (r[property] === null),
    })),
  ),
  fc.constant<Condition>({ text: 'Flag', holds: (r) => r.Flag }),
  fc.tuple(fc.constantFrom('eq', 'ne' as const), fc.boolean()).map(([op, b]) => ({
    text: `Flag ${op} ${b}`,
    holds: (r: SampleRecord) => modelCompare(op, r.Flag, b, (x, y) => !x && y),
  })),
  fc.tuple(fc.constantFrom('startswith', 'endswith', 'substringof'), fc.constantFrom(...NAMES)).map(([fn, v]) => {
    const quoted = `'${v.replace(/'/g, "''")}'`;
    return {
      text: fn === 'substringof' ? `substringof(${quoted}, Name)` : `${fn}(Name, ${quoted})`,
      holds: (r: SampleRecord): Truth =>
        r.Name === null ? null : fn === 'startswith' ? r.Name.startsWith(v) : fn === 'endswith' ? r.Name.endsWith(v) : r.Name.includes(v),
    };
  }),
);

/** Kleene logic, the model of and/or/not over possibly-unknown truth. */
const kleeneAnd = (a: Truth, b: Truth): Truth => (a === false || b === false ? false : a === null || b === null ? null : true);
const kleeneOr = (a: Truth, b: Truth): Truth => (a === true || b === true ? true : a === null || b === null ? null : false);

const condition: fc.Arbitrary<Condition> = fc.letrec<{ c: Condition }>((tie) => ({
  c: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafCondition,
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => ({ text: `(${a.text}) and (${b.text})`, holds: (r: SampleRecord) => kleeneAnd(a.holds(r), b.holds(r)) })),
    fc.tuple(tie('c'), tie('c')).map(([a, b]) => ({ text: `(${a.text}) or (${b.text})`, holds: (r: SampleRecord) => kleeneOr(a.holds(r), b.holds(r)) })),
    tie('c').map((a) => ({ text: `not (${a.text})`, holds: (r: SampleRecord) => { const v = a.holds(r); return v === null ? null : !v; } })),
  ),
})).c;

describe('evaluateFilter property', () => {
  it('agrees with a direct JS predicate on generated records and conditions', () => {
    fc.assert(
      fc.property(condition, fc.array(sampleRecord, { minLength: 1, maxLength: 8 }), (cond, records) => {
        const expr: FilterExpression = parseFilter(cond.text, Sample, { maxFilterLength: 100_000 });
        for (const record of records) {
          expect(evaluateFilter(expr, record, Sample)).toBe(cond.holds(record) === true);
        }
      }),
      { numRuns: 500 },
    );
  });
});
