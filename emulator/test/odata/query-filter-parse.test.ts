import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Asset, AssetFile, Locator, Task, type EntityTypeDef } from '../../src/odata/edm.js';
import { ODataError } from '../../src/odata/errors.js';
import { evaluateFilter, formatFilter, parseFilter, type FilterExpression, type Literal } from '../../src/odata/query/index.js';
import { Sample } from '../helpers/query-sample.js';

const lit = (literal: Literal): FilterExpression => ({ kind: 'literal', ...literal });
const prop = (name: string): FilterExpression => ({ kind: 'property', name });
const bin = (operator: Extract<FilterExpression, { kind: 'binary' }>['operator'], left: FilterExpression, right: FilterExpression): FilterExpression => ({
  kind: 'binary',
  operator,
  left,
  right,
});
const str = (value: string): FilterExpression => lit({ type: 'Edm.String', value });
const i32 = (value: number): FilterExpression => lit({ type: 'Edm.Int32', value });

/** The right-hand literal of `<property> eq <text>`. */
function literalOf(text: string, property = 'Count', type: EntityTypeDef = Sample): FilterExpression {
  const expr = parseFilter(`${property} eq ${text}`, type);
  if (expr.kind !== 'binary') throw new Error('not a comparison');
  return expr.right;
}

function badRequest(run: () => unknown): ODataError {
  try {
    run();
  } catch (e) {
    expect(e).toBeInstanceOf(ODataError);
    const error = e as ODataError;
    expect(error.status).toBe(400);
    return error;
  }
  throw new Error('expected a 400, got a result');
}

function filterRefusal(text: string, type: EntityTypeDef = Sample, limits?: Parameters<typeof parseFilter>[2]): string {
  const { message } = badRequest(() => parseFilter(text, type, limits));
  expect(message.startsWith('Invalid $filter: ')).toBe(true);
  return message;
}

describe('parseFilter: shapes real clients send', () => {
  it('Name eq, Id eq, ParentAssetId eq', () => {
    expect(parseFilter("Name eq 'x'", AssetFile)).toEqual(bin('eq', prop('Name'), str('x')));
    const id = 'nb:cid:UUID:7b2b0b8c-4e1f-4c21-9f5a-1d2e3f4a5b6c';
    expect(parseFilter(`Id eq '${id}'`, AssetFile)).toEqual(bin('eq', prop('Id'), str(id)));
    expect(parseFilter(`ParentAssetId eq '${id}'`, AssetFile)).toEqual(bin('eq', prop('ParentAssetId'), str(id)));
  });

  it("startswith(Name,'...') and endswith(Name, 'ism')", () => {
    expect(parseFilter("startswith(Name,'Sample')", Asset)).toEqual({ kind: 'call', name: 'startswith', args: [prop('Name'), str('Sample')] });
    expect(parseFilter("endswith(Name, 'ism')", AssetFile)).toEqual({ kind: 'call', name: 'endswith', args: [prop('Name'), str('ism')] });
  });

  it('tolerates surrounding and repeated whitespace, tabs included', () => {
    expect(parseFilter("   Name \t eq   'x'  ", AssetFile)).toEqual(bin('eq', prop('Name'), str('x')));
    expect(parseFilter("( Name eq 'x' )", AssetFile)).toEqual(bin('eq', prop('Name'), str('x')));
    expect(parseFilter("Name eq'x'", AssetFile)).toEqual(bin('eq', prop('Name'), str('x')));
  });
});

describe('parseFilter: literals', () => {
  it("strings, with '' for a quote", () => {
    expect(literalOf("'it''s'", 'Name')).toEqual(str("it's"));
    expect(literalOf("''", 'Name')).toEqual(str(''));
    expect(literalOf("''''", 'Name')).toEqual(str("'"));
    expect(literalOf("'a b+c/(d),e'", 'Name')).toEqual(str('a b+c/(d),e'));
    expect(literalOf("'日本語 🎬'", 'Name')).toEqual(str('日本語 🎬'));
  });

  it('integers: Int32, Int64 by size or by L suffix', () => {
    expect(literalOf('42')).toEqual(i32(42));
    expect(literalOf('-7')).toEqual(i32(-7));
    expect(literalOf('-0')).toEqual(i32(0));
    expect(literalOf('2147483647')).toEqual(i32(2147483647));
    expect(literalOf('-2147483648')).toEqual(i32(-2147483648));
    expect(literalOf('2147483648')).toEqual(lit({ type: 'Edm.Int64', value: 2147483648n }));
    expect(literalOf('123L')).toEqual(lit({ type: 'Edm.Int64', value: 123n }));
    expect(literalOf('123l')).toEqual(lit({ type: 'Edm.Int64', value: 123n }));
    expect(literalOf('9223372036854775807L')).toEqual(lit({ type: 'Edm.Int64', value: 9223372036854775807n }));
    expect(literalOf('-9223372036854775808')).toEqual(lit({ type: 'Edm.Int64', value: -9223372036854775808n }));
  });

  it('doubles, singles and decimals', () => {
    expect(literalOf('1.5')).toEqual(lit({ type: 'Edm.Double', value: 1.5 }));
    expect(literalOf('1.5d')).toEqual(lit({ type: 'Edm.Double', value: 1.5 }));
    expect(literalOf('2D')).toEqual(lit({ type: 'Edm.Double', value: 2 }));
    expect(literalOf('1e3')).toEqual(lit({ type: 'Edm.Double', value: 1000 }));
    expect(literalOf('1E+3')).toEqual(lit({ type: 'Edm.Double', value: 1000 }));
    expect(literalOf('-2.5e-3')).toEqual(lit({ type: 'Edm.Double', value: -0.0025 }));
    expect(literalOf('1.5f')).toEqual(lit({ type: 'Edm.Single', value: 1.5 }));
    expect(literalOf('0.1F')).toEqual(lit({ type: 'Edm.Single', value: Math.fround(0.1) }));
    expect(literalOf('1.50m')).toEqual(lit({ type: 'Edm.Decimal', value: '1.50' }));
    expect(literalOf('-3M')).toEqual(lit({ type: 'Edm.Decimal', value: '-3' }));
  });

  it('true, false, null', () => {
    expect(literalOf('true', 'Flag')).toEqual(lit({ type: 'Edm.Boolean', value: true }));
    expect(literalOf('false', 'Flag')).toEqual(lit({ type: 'Edm.Boolean', value: false }));
    expect(literalOf('null', 'Name')).toEqual(lit({ type: 'null', value: null }));
  });

  it('datetime with or without Z, seconds, fraction or offset, normalised to UTC', () => {
    const dt = (value: string): FilterExpression => lit({ type: 'Edm.DateTime', value });
    expect(literalOf("datetime'2015-01-01T00:00:00'", 'When')).toEqual(dt('2015-01-01T00:00:00Z'));
    expect(literalOf("datetime'2015-01-01T00:00:00Z'", 'When')).toEqual(dt('2015-01-01T00:00:00Z'));
    expect(literalOf("datetime'2015-01-01T00:00'", 'When')).toEqual(dt('2015-01-01T00:00:00Z'));
    expect(literalOf("datetime'2015-01-01T00:00:00.120'", 'When')).toEqual(dt('2015-01-01T00:00:00.12Z'));
    expect(literalOf("datetime'2015-01-01T00:00:00.1234567Z'", 'When')).toEqual(dt('2015-01-01T00:00:00.1234567Z'));
    expect(literalOf("datetime'2015-01-01T01:30:00+01:30'", 'When')).toEqual(dt('2015-01-01T00:00:00Z'));
    expect(literalOf("datetime'2014-12-31T23:00:00-01:00'", 'When')).toEqual(dt('2015-01-01T00:00:00Z'));
    expect(literalOf("datetime'2016-02-29T12:00:00'", 'When')).toEqual(dt('2016-02-29T12:00:00Z'));
    expect(literalOf("datetime'0001-01-01T00:00:00'", 'When')).toEqual(dt('0001-01-01T00:00:00Z'));
    expect(literalOf("datetimeoffset'2015-01-01T00:00:00+02:00'", 'When')).toEqual(lit({ type: 'Edm.DateTimeOffset', value: '2014-12-31T22:00:00Z' }));
  });

  it('guid, normalised to lower case', () => {
    const g = 'A1B2C3D4-0000-4000-8000-00000000ABCD';
    const expr = parseFilter(`guid'${g}' eq guid'${g.toLowerCase()}'`, Sample);
    expect(expr).toEqual(bin('eq', lit({ type: 'Edm.Guid', value: g.toLowerCase() }), lit({ type: 'Edm.Guid', value: g.toLowerCase() })));
  });

  it.each([
    ["Name eq 'abc", 'unterminated string literal'],
    ["Name eq 'it''s", 'unterminated string literal'],
    ['Count eq 1.', 'malformed number'],
    ['Count eq 1e', 'malformed number'],
    ['Count eq 1e+', 'malformed number'],
    ['Count eq 12abc', 'malformed number'],
    ['Count eq 1.2.3', 'malformed number'],
    ['Count eq 1.5L', 'not an Int64 literal'],
    ['Count eq 1e3m', 'decimals take no exponent'],
    ['Count eq 9223372036854775808', 'out of the Int64 range'],
    ['Count eq 9223372036854775808L', 'out of the Int64 range'],
    ['Count eq 1e999', 'out of the Double range'],
    ['Count eq 1e999f', 'out of the Single range'],
    ["When eq datetime'2015-13-01T00:00:00'", 'not a valid datetime literal'],
    ["When eq datetime'2015-02-29T00:00:00'", 'not a valid datetime literal'],
    ["When eq datetime'2015-01-01T24:00:00'", 'not a valid datetime literal'],
    ["When eq datetime'0000-01-01T00:00:00'", 'not a valid datetime literal'],
    ["When eq datetime'0001-01-01T00:00:00+01:00'", 'not a valid datetime literal'],
    ["When eq datetime'2015-01-01'", 'not a valid datetime literal'],
    ["When eq datetime'yesterday'", 'not a valid datetime literal'],
    ["When eq datetime'2015-01-01T00:00:00.12345678'", 'not a valid datetime literal'],
    ["Id eq guid'1234'", 'not a valid guid literal'],
    ["Id eq time'PT1H'", 'not supported'],
    ["Id eq X'0A'", 'not supported'],
    ["Id eq foo'bar'", "'foo' is not a property"],
    ["Id eq Name'bar'", "found ''bar''"],
  ])('%s is refused: %s', (text, fragment) => {
    expect(filterRefusal(text)).toContain(fragment);
  });
});

describe('parseFilter: operators and precedence', () => {
  const a = bin('eq', prop('Name'), str('a'));
  const b = bin('gt', prop('Count'), i32(1));
  const c = prop('Flag');

  it('all six comparisons', () => {
    for (const op of ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const) {
      expect(parseFilter(`Count ${op} 1`, Sample)).toEqual(bin(op, prop('Count'), i32(1)));
    }
  });

  it('and binds tighter than or; parentheses override', () => {
    expect(parseFilter("Name eq 'a' or Count gt 1 and Flag", Sample)).toEqual(bin('or', a, bin('and', b, c)));
    expect(parseFilter("Name eq 'a' and Count gt 1 or Flag", Sample)).toEqual(bin('or', bin('and', a, b), c));
    expect(parseFilter("(Name eq 'a' or Count gt 1) and Flag", Sample)).toEqual(bin('and', bin('or', a, b), c));
  });

  it('and/or chains are left-associative', () => {
    expect(parseFilter("Name eq 'a' or Count gt 1 or Flag", Sample)).toEqual(bin('or', bin('or', a, b), c));
    expect(parseFilter("Name eq 'a' and Count gt 1 and Flag", Sample)).toEqual(bin('and', bin('and', a, b), c));
  });

  it('not binds tighter than comparison and and', () => {
    expect(parseFilter("not Flag and Name eq 'a'", Sample)).toEqual(bin('and', { kind: 'not', operand: c }, a));
    expect(parseFilter('not Flag eq true', Sample)).toEqual(bin('eq', { kind: 'not', operand: c }, lit({ type: 'Edm.Boolean', value: true })));
    expect(parseFilter("not (Name eq 'a')", Sample)).toEqual({ kind: 'not', operand: a });
    expect(parseFilter("not(Name eq 'a')", Sample)).toEqual({ kind: 'not', operand: a });
    expect(parseFilter('not not Flag', Sample)).toEqual({ kind: 'not', operand: { kind: 'not', operand: c } });
  });

  it('relational binds tighter than equality (OData v3 order)', () => {
    expect(parseFilter('Count gt 1 eq true', Sample)).toEqual(bin('eq', b, lit({ type: 'Edm.Boolean', value: true })));
    expect(parseFilter('true eq Count gt 1', Sample)).toEqual(bin('eq', lit({ type: 'Edm.Boolean', value: true }), b));
  });

  it('boolean functions bare or compared with true', () => {
    const call: FilterExpression = { kind: 'call', name: 'substringof', args: [str('x'), prop('Name')] };
    expect(parseFilter("substringof('x', Name)", Sample)).toEqual(call);
    expect(parseFilter("substringof('x', Name) eq true", Sample)).toEqual(bin('eq', call, lit({ type: 'Edm.Boolean', value: true })));
  });

  it('null compares with any type, in either position', () => {
    expect(parseFilter('Name eq null', Sample)).toEqual(bin('eq', prop('Name'), lit({ type: 'null', value: null })));
    expect(parseFilter('null ne When', Sample)).toEqual(bin('ne', lit({ type: 'null', value: null }), prop('When')));
    expect(parseFilter('null eq null', Sample)).toEqual(bin('eq', lit({ type: 'null', value: null }), lit({ type: 'null', value: null })));
    expect(parseFilter('Count gt null', Sample)).toEqual(bin('gt', prop('Count'), lit({ type: 'null', value: null })));
  });

  it.each([
    ["Name EQ 'x'", 'operators are lower-case: eq'],
    ["Name eq 'x' AND Flag", 'operators are lower-case: and'],
    ['NOT Flag', "'NOT' is not a property"],
    ['Count add 1 eq 2', 'arithmetic operators are not supported'],
    ['Count eq 1 sub 1', 'arithmetic operators are not supported'],
    ['Count in (1, 2)', 'not an OData v3 operator'],
    ["Name eq 'x' Flag", "found 'Flag'"],
    ['Name eq', 'found the end of the expression'],
    ["eq 'x'", "found 'eq'"],
    ["(Name eq 'x'", "expected ')' or an operator"],
    ["Name eq 'x')", "found ')'"],
    ['()', "found ')'"],
    ['', 'the expression is empty'],
    ['   ', 'the expression is empty'],
    ["Name = 'x'", 'comparisons are written eq'],
    ["Name eq \"x\"", 'single quotes'],
    ["Name eq 'x' && Flag", 'and'],
    ['Flag eq True', 'literals are lower-case: true'],
    ['Count eq -x', 'arithmetic is not supported'],
    ['Count eq 1 + 1', "a space in the URL is '+'"],
  ])('%s is refused: %s', (text, fragment) => {
    expect(filterRefusal(text)).toContain(fragment);
  });
});

describe('parseFilter: functions', () => {
  it.each([
    ["tolower(Name) eq 'a'", 'tolower'],
    ["toupper(Name) eq 'A'", 'toupper'],
    ["trim(Name) eq 'a'", 'trim'],
    ['length(Name) gt 3', 'length'],
    ["indexof(Name, 'x') ge 0", 'indexof'],
    ["concat(Name, 'x') eq 'ax'", 'concat'],
    ["substring(Name, 1) eq 'b'", 'substring'],
    ["substring(Name, 1, 2L) eq 'bc'", 'substring'],
    ["replace(Name, 'a', 'b') eq 'b'", 'replace'],
    ['year(When) eq 2015 and month(When) eq 1 and day(When) eq 2', 'year'],
    ['hour(When) eq 3 and minute(When) eq 4 and second(When) eq 5', 'hour'],
    ['round(Ratio) eq 2 and floor(Ratio) eq 1 and ceiling(Count) eq 2', 'round'],
    ['round(1.5m) eq 2m', 'round'],
  ])('%s parses', (text, name) => {
    expect(formatFilter(parseFilter(text, Sample))).toContain(`${name}(`);
  });

  it.each([
    ["StartsWith(Name,'x')", "did you mean 'startswith'"],
    ["contains(Name,'x')", "unknown function 'contains'"],
    ['startswith(Name)', 'startswith takes 2 arguments, got 1'],
    ["startswith(Name,'a','b')", 'startswith takes 2 arguments, got 3'],
    ['length()', 'length takes 1 arguments, got 0'],
    ['substring(Name) eq Name', 'substring takes 2 or 3 arguments, got 1: substring(string, integer, [integer])'],
    ["startswith(Name 'x')", "',' or ')' in the arguments of startswith"],
    ["startswith(Name,'x'", "',' or ')' in the arguments of startswith"],
    ["startswith(Count,'x')", 'argument 1 of startswith must be an Edm.String, but Count is Edm.Int32'],
    ["substringof(Name, 1)", 'argument 2 of substringof must be an Edm.String'],
    ["substring(Name, 1.5) eq 'x'", 'argument 2 of substring must be an integer'],
    ["year(Name) eq 1", 'argument 1 of year must be an Edm.DateTime'],
    ["round(Name) eq 1", 'argument 1 of round must be a number'],
  ])('%s is refused: %s', (text, fragment) => {
    expect(filterRefusal(text)).toContain(fragment);
  });
});

describe('parseFilter: properties and types', () => {
  it('names the unknown property, suggests the spelling and lists the valid ones', () => {
    const message = filterRefusal("name eq 'x'", AssetFile);
    expect(message).toContain("'name' is not a property of AssetFile");
    expect(message).toContain("did you mean 'Name'");
    expect(message).toContain('Id, Name, ContentFileSize, ParentAssetId');
    expect(filterRefusal("Nmae eq 'x'", AssetFile)).toContain("did you mean 'Name'");
    expect(filterRefusal("Zz eq 'x'", AssetFile)).not.toContain('did you mean');
  });

  it('refuses navigation properties and paths', () => {
    expect(filterRefusal("Asset/Name eq 'x'", Locator)).toContain("property paths such as 'Asset/Name' are not supported");
    expect(filterRefusal("Files eq null", Asset)).toContain("'Files' is a navigation property of Asset");
    expect(filterRefusal("Parent/ eq null")).toContain('not supported');
  });

  it('refuses complex collections', () => {
    expect(filterRefusal('ErrorDetails eq null', Task)).toContain("'ErrorDetails' is a collection of ErrorDetail");
  });

  it('widens numbers: Int32, Int64, Double, Decimal, Single compare with each other', () => {
    for (const text of ['ContentFileSize gt 5', 'ContentFileSize gt 5L', 'ContentFileSize gt 5.5', 'Options eq 5L', 'Options gt 1.5m', 'Options lt 2f']) {
      expect(() => parseFilter(text, AssetFile)).not.toThrow();
    }
  });

  it.each([
    ["Options eq 'abc'", "cannot compare Options (Edm.Int32) with 'abc' (Edm.String)"],
    ["ContentFileSize eq '5'", "cannot compare ContentFileSize (Edm.Int64) with '5' (Edm.String)"],
    ['Name eq 1', 'cannot compare Name (Edm.String) with 1 (Edm.Int32)'],
    ["Created gt '2015-01-01'", 'cannot compare Created (Edm.DateTime)'],
    ["IsPrimary eq 'true'", 'cannot compare IsPrimary (Edm.Boolean)'],
    ['IsPrimary eq 1', 'cannot compare IsPrimary (Edm.Boolean) with 1 (Edm.Int32)'],
    ["Id eq guid'a1b2c3d4-0000-4000-8000-00000000abcd'", 'cannot compare Id (Edm.String) with guid'],
    ['IsPrimary gt false', "Edm.Boolean values can only be compared with eq and ne, not 'gt'"],
    ["guid'a1b2c3d4-0000-4000-8000-00000000abcd' lt null", 'Edm.Guid values can only be compared with eq and ne'],
    ['Name', 'must be a Boolean condition, but Name is Edm.String'],
    ['Options', 'must be a Boolean condition, but Options is Edm.Int32'],
    ['null', 'must be a Boolean condition, but null is null'],
    ['not Name', "'not' needs Boolean operands, but Name is Edm.String"],
    ["Name and IsPrimary", "'and' needs Boolean operands, but Name is Edm.String"],
    ['IsPrimary or 1', "'or' needs Boolean operands, but 1 is Edm.Int32"],
    ["Name eq 'a' eq 'b'", "cannot compare Name eq 'a' (Edm.Boolean) with 'b' (Edm.String)"],
  ])('%s is refused: %s', (text, fragment) => {
    expect(filterRefusal(text, AssetFile)).toContain(fragment);
  });
});

describe('parseFilter: limits', () => {
  it('refuses text longer than maxFilterLength (default 4096)', () => {
    const long = `Name eq '${'x'.repeat(4090)}'`;
    expect(filterRefusal(long)).toContain('characters long; the limit is 4096');
    expect(() => parseFilter(long, Sample, { maxFilterLength: 5000 })).not.toThrow();
    expect(filterRefusal("Name eq 'x'", Sample, { maxFilterLength: 5 })).toContain('the limit is 5');
  });

  it('accepts 32 levels of nesting and refuses 33', () => {
    const nested = (n: number): string => `${'('.repeat(n)}Flag${')'.repeat(n)}`;
    expect(parseFilter(nested(32), Sample)).toEqual(prop('Flag'));
    expect(filterRefusal(nested(33))).toContain('nests deeper than 32 levels');
    expect(filterRefusal(nested(3), Sample, { maxFilterDepth: 2 })).toContain('deeper than 2 levels');
  });

  it('100k opening parentheses, nots or calls give a 400, not a RangeError', () => {
    const huge = { maxFilterLength: 2_000_000 };
    expect(filterRefusal('('.repeat(100_000), Sample, huge)).toContain('nests deeper');
    expect(filterRefusal(`${'('.repeat(100_000)}Flag${')'.repeat(100_000)}`, Sample, huge)).toContain('nests deeper');
    expect(filterRefusal(`${'not '.repeat(100_000)}Flag`, Sample, huge)).toContain('nests deeper');
    expect(filterRefusal(`${'tolower('.repeat(100_000)}Name${')'.repeat(100_000)} eq 'a'`, Sample, huge)).toContain('nests deeper');
  });

  it('refuses more than maxFilterNodes terms, and a long or-chain within it parses', () => {
    const chain = (n: number): string => Array.from({ length: n }, (_, i) => `Count eq ${i}`).join(' or ');
    expect(() => parseFilter(chain(250), Sample)).not.toThrow(); // 749 nodes, just under 4 KB
    expect(filterRefusal(chain(400), Sample, { maxFilterLength: 100_000 })).toContain('more than 1000 terms');
    expect(filterRefusal(chain(3), Sample, { maxFilterNodes: 5 })).toContain('more than 5 terms');
  });

  it('raised limits let a 20k-term chain through without overflowing the stack anywhere', () => {
    const terms = Array.from({ length: 20_000 }, (_, i) => `Count eq ${i}`);
    const text = `${terms.join(' or ')} and Name eq 'x' or true eq Flag eq Flag`;
    const expr = parseFilter(text, Sample, { maxFilterLength: 10_000_000, maxFilterNodes: 10_000_000 });
    expect(formatFilter(expr)).toBe(text);
    expect(evaluateFilter(expr, { Id: 'a', Count: 19_998, Flag: null }, Sample)).toBe(true);
    expect(evaluateFilter(expr, { Id: 'a', Count: -1, Flag: true }, Sample)).toBe(true);
    expect(evaluateFilter(expr, { Id: 'a', Count: -1, Flag: null }, Sample)).toBe(false);
    expect(evaluateFilter(expr, { Id: 'a', Name: 'y', Count: 19_999, Flag: null }, Sample)).toBe(false); // the last term binds to 'and'
    const badTail = filterRefusal(`${terms.join(' or ')} or Name`, Sample, { maxFilterLength: 10_000_000, maxFilterNodes: 10_000_000 });
    expect(badTail).toContain("'or' needs Boolean operands, but Name is Edm.String");
  });
});

describe('formatFilter', () => {
  it.each([
    ["Name  eq  'it''s'", "Name eq 'it''s'"],
    ["(Name eq 'a')", "Name eq 'a'"],
    ["(Name eq 'a' or Flag) and Flag", "(Name eq 'a' or Flag) and Flag"],
    ["Name eq 'a' or (Flag and Flag)", "Name eq 'a' or Flag and Flag"],
    ["Flag or (Flag or Flag)", 'Flag or (Flag or Flag)'],
    ["not (Count gt 1)", 'not (Count gt 1)'],
    ["startswith(Name,'a')", "startswith(Name, 'a')"],
    ['Size eq 5 and Ratio eq 1 and Ratio eq -0.0', 'Size eq 5 and Ratio eq 1 and Ratio eq -0d'],
    ['Size eq 5000000000 and Ratio eq 1.0d and Count eq 1.5m', 'Size eq 5000000000L and Ratio eq 1d and Count eq 1.5m'],
    ["When lt datetime'2015-01-01T00:00:00.5000'", "When lt datetime'2015-01-01T00:00:00.5Z'"],
  ])('%s prints as %s', (text, canonical) => {
    expect(formatFilter(parseFilter(text, Sample))).toBe(canonical);
  });
});

// ---- properties ----

const stringLiteral = fc.string({ unit: 'binary', maxLength: 12 }).map((value) => str(value));
const dateTimeText = fc
  .record({
    year: fc.integer({ min: 1, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 28 }),
    hour: fc.integer({ min: 0, max: 23 }),
    minute: fc.integer({ min: 0, max: 59 }),
    second: fc.integer({ min: 0, max: 59 }),
    fraction: fc.integer({ min: 0, max: 9_999_999 }),
  })
  .map(({ year, month, day, hour, minute, second, fraction }) => {
    const p = (n: number, w = 2): string => String(n).padStart(w, '0');
    const frac = fraction === 0 ? '' : `.${p(fraction, 7).replace(/0+$/, '')}`;
    return `${p(year, 4)}-${p(month)}-${p(day)}T${p(hour)}:${p(minute)}:${p(second)}${frac}Z`;
  });

const integerExpr: fc.Arbitrary<FilterExpression> = fc.oneof(
  fc.constant(prop('Count')),
  fc.constant(prop('Size')),
  fc.integer().map(i32),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => lit({ type: 'Edm.Int64', value })),
);

const numberLeaf: fc.Arbitrary<FilterExpression> = fc.oneof(
  integerExpr,
  fc.constant(prop('Ratio')),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((value) => lit({ type: 'Edm.Double', value })),
  fc.float({ noNaN: true, noDefaultInfinity: true }).map((value) => lit({ type: 'Edm.Single', value })),
  fc.stringMatching(/^-?\d{1,12}(\.\d{1,6})?$/).map((value) => lit({ type: 'Edm.Decimal', value })),
);

const dateExpr: fc.Arbitrary<FilterExpression> = fc.oneof(
  fc.constant(prop('When')),
  dateTimeText.map((value) => lit({ type: 'Edm.DateTime', value })),
  dateTimeText.map((value) => lit({ type: 'Edm.DateTimeOffset', value })),
);

const call = (name: Extract<FilterExpression, { kind: 'call' }>['name'], ...args: fc.Arbitrary<FilterExpression>[]): fc.Arbitrary<FilterExpression> =>
  fc.tuple(...args).map((values) => ({ kind: 'call', name, args: values }));

function stringExpr(depth: number): fc.Arbitrary<FilterExpression> {
  const leaf = fc.oneof(fc.constant(prop('Name')), fc.constant(prop('Id')), stringLiteral);
  if (depth <= 0) return leaf;
  const s = stringExpr(depth - 1);
  return fc.oneof(
    { weight: 3, arbitrary: leaf },
    { weight: 1, arbitrary: call('tolower', s) },
    { weight: 1, arbitrary: call('trim', s) },
    { weight: 1, arbitrary: call('concat', s, s) },
    { weight: 1, arbitrary: call('substring', s, integerExpr) },
    { weight: 1, arbitrary: call('substring', s, integerExpr, integerExpr) },
    { weight: 1, arbitrary: call('replace', s, s, s) },
  );
}

function numberExpr(depth: number): fc.Arbitrary<FilterExpression> {
  if (depth <= 0) return numberLeaf;
  return fc.oneof(
    { weight: 3, arbitrary: numberLeaf },
    { weight: 1, arbitrary: call('length', stringExpr(depth - 1)) },
    { weight: 1, arbitrary: call('indexof', stringExpr(depth - 1), stringExpr(depth - 1)) },
    { weight: 1, arbitrary: call('year', dateExpr) },
    { weight: 1, arbitrary: call('round', numberExpr(depth - 1)) },
    { weight: 1, arbitrary: call('ceiling', numberExpr(depth - 1)) },
  );
}

const anyComparison = fc.constantFrom('eq', 'ne', 'gt', 'ge', 'lt', 'le' as const);
const equality = fc.constantFrom('eq', 'ne' as const);
const nullLiteral = fc.constant(lit({ type: 'null', value: null }));

function booleanExpr(depth: number): fc.Arbitrary<FilterExpression> {
  const leaf = fc.oneof(
    fc.constant(prop('Flag')),
    fc.boolean().map((value) => lit({ type: 'Edm.Boolean', value })),
    fc.tuple(anyComparison, fc.constant(prop('Count')), integerExpr).map(([op, l, r]) => bin(op, l, r)),
  );
  if (depth <= 0) return leaf;
  const sub = booleanExpr(depth - 1);
  const s = stringExpr(depth - 1);
  const n = numberExpr(depth - 1);
  const guid = fc.uuid().map((value) => lit({ type: 'Edm.Guid', value }));
  return fc.oneof(
    { weight: 2, arbitrary: leaf },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('and', 'or' as const), sub, sub).map(([op, l, r]) => bin(op, l, r)) },
    { weight: 1, arbitrary: sub.map((operand): FilterExpression => ({ kind: 'not', operand })) },
    { weight: 1, arbitrary: fc.tuple(anyComparison, s, s).map(([op, l, r]) => bin(op, l, r)) },
    { weight: 1, arbitrary: fc.tuple(anyComparison, n, n).map(([op, l, r]) => bin(op, l, r)) },
    { weight: 1, arbitrary: fc.tuple(anyComparison, dateExpr, dateExpr).map(([op, l, r]) => bin(op, l, r)) },
    { weight: 1, arbitrary: fc.tuple(equality, sub, sub).map(([op, l, r]) => bin(op, l, r)) },
    { weight: 1, arbitrary: fc.tuple(equality, guid, fc.oneof(guid, nullLiteral)).map(([op, l, r]) => bin(op, l, r)) },
    { weight: 1, arbitrary: fc.tuple(anyComparison, fc.oneof(s, n, dateExpr), nullLiteral).map(([op, l, r]) => bin(op, l, r)) },
    { weight: 1, arbitrary: call('startswith', s, s) },
    { weight: 1, arbitrary: call('endswith', s, s) },
    { weight: 1, arbitrary: call('substringof', s, s) },
  );
}

const noLimits = { maxFilterLength: 1_000_000, maxFilterDepth: 1_000, maxFilterNodes: 1_000_000 };

describe('parseFilter properties', () => {
  it('parseFilter(formatFilter(e)) equals e for well-typed trees', () => {
    fc.assert(
      fc.property(booleanExpr(4), (expr) => {
        expect(parseFilter(formatFilter(expr), Sample, noLimits)).toEqual(expr);
      }),
      { numRuns: 400 },
    );
  });

  const junkTokens = [
    'Name', 'Count', 'Size', 'Flag', 'When', 'Parent', 'Nope', 'eq', 'ne', 'gt', 'and', 'or', 'not', 'EQ', 'add',
    'startswith', 'substringof', 'length', 'year', 'round', '(', ')', ',', '/', "'", "''", "'x'", '1', '-1', '1.5',
    '1e', '1L', '1m', '1f', '9999999999999999999', 'true', 'null', "datetime'", "datetime'2015-01-01T00:00:00'",
    "guid'", "guid'00000000-0000-0000-0000-000000000000'", "X'0A'", ' ', '\t', '+', '=', '%', '\u0000', '🎬', '\uD800',
  ];
  const junk = fc.array(fc.constantFrom(...junkTokens), { maxLength: 30 }).chain((tokens) =>
    fc.boolean().map((spaced) => tokens.join(spaced ? ' ' : '')),
  );

  it('any text gives a tree or a 400, never another error', () => {
    const check = (text: string): void => {
      try {
        parseFilter(text, Sample);
      } catch (e) {
        if (!(e instanceof ODataError) || e.status !== 400) throw e;
      }
    };
    fc.assert(fc.property(fc.string({ unit: 'binary' }), check), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), check), { numRuns: 300 });
    fc.assert(fc.property(junk, check), { numRuns: 1500 });
  });
});
