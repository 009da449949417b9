import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Asset, AssetFile, Task } from '../../src/odata/edm.js';
import { ODataError } from '../../src/odata/errors.js';
import { formatFilter, parseQueryOptions, type QueryOptions } from '../../src/odata/query/index.js';

function refusal(query: string, type = AssetFile, limits?: Parameters<typeof parseQueryOptions>[2]): string {
  try {
    parseQueryOptions(query, type, limits);
  } catch (e) {
    expect(e).toBeInstanceOf(ODataError);
    expect((e as ODataError).status).toBe(400);
    return (e as ODataError).message;
  }
  throw new Error(`expected a 400 for ${query}`);
}

const filterText = (options: QueryOptions): string | undefined => (options.filter ? formatFilter(options.filter) : undefined);

describe('parseQueryOptions: what real clients send', () => {
  it("'+' is a space in $filter", () => {
    expect(filterText(parseQueryOptions("$filter=Name+eq+'x'", AssetFile))).toBe("Name eq 'x'");
  });

  it("%2B is a literal '+' inside a string, %20 a space, %27 a quote", () => {
    expect(filterText(parseQueryOptions("$filter=Name+eq+'a%2Bb+c'", AssetFile))).toBe("Name eq 'a+b c'");
    expect(filterText(parseQueryOptions('$filter=Name%20eq%20%27x%27', AssetFile))).toBe("Name eq 'x'");
  });

  it(".NET: Files with $filter=ParentAssetId eq '<id>', and Id eq '...' with $top=1", () => {
    const id = 'nb:cid:UUID:1f2e3d4c-0000-4000-8000-000000000001';
    const byParent = parseQueryOptions(`$filter=ParentAssetId%20eq%20'${encodeURIComponent(id)}'`, AssetFile);
    expect(filterText(byParent)).toBe(`ParentAssetId eq '${id}'`);
    const byId = parseQueryOptions(`$filter=Id eq '${id}'&$top=1`, AssetFile);
    expect(filterText(byId)).toBe(`Id eq '${id}'`);
    expect(byId.top).toBe(1);
  });

  it('startswith and endswith, percent-encoded the way HttpClient does', () => {
    expect(filterText(parseQueryOptions("$filter=startswith(Name,'Sample%20')", Asset))).toBe("startswith(Name, 'Sample ')");
    expect(filterText(parseQueryOptions('$filter=endswith(Name,%20%27ism%27)', AssetFile))).toBe("endswith(Name, 'ism')");
  });

  it('option names may be percent-encoded ($ as %24)', () => {
    const options = parseQueryOptions("%24filter=Name+eq+'x'&%24top=2", AssetFile);
    expect(filterText(options)).toBe("Name eq 'x'");
    expect(options.top).toBe(2);
  });
});

describe('parseQueryOptions: defaults and other parameters', () => {
  it('an empty query means no options', () => {
    const none: QueryOptions = { orderBy: [], skip: 0, inlineCount: false };
    expect(parseQueryOptions('', AssetFile)).toEqual(none);
    expect(parseQueryOptions('?', AssetFile)).toEqual(none);
    expect(parseQueryOptions('&&', AssetFile)).toEqual(none);
  });

  it('a leading ? is tolerated rather than hiding the first option', () => {
    expect(parseQueryOptions('?$top=3', AssetFile).top).toBe(3);
  });

  it('ignores parameters without $, even malformed or repeated ones', () => {
    const options = parseQueryOptions("api-version=2.19&keepcontainer=true&assetid='nb%3Acid%3AUUID%3A1'&x=%zz&foo%zz=1&x=2&$top=4", AssetFile);
    expect(options).toEqual({ orderBy: [], skip: 0, inlineCount: false, top: 4 });
  });

  it('leaves $format to the format layer, whatever its value and however often', () => {
    expect(parseQueryOptions('$format=json&$format=%zz&$skip=1', AssetFile)).toEqual({ orderBy: [], skip: 1, inlineCount: false });
  });
});

describe('parseQueryOptions: refusals name the option', () => {
  it.each([
    ['$expand=Files', '$expand is not supported by Media Services'],
    ['$expand=', '$expand is not supported by Media Services'],
    ['$skiptoken=abc', '$skiptoken is not supported'],
    ['$count=true', '$count is not a query option in OData v3: use $inlinecount=allpages'],
    ['$search=x', "Unknown system query option '$search'"],
    ['$=1', "Unknown system query option '$'"],
    ['$Filter=Name eq null', 'case-sensitive: did you mean $filter?'],
    ['$TOP=1', 'did you mean $top?'],
    ['$top=1&$top=2', 'Invalid $top: the option is given more than once'],
    ["$filter=Name eq 'a'&%24filter=Name eq 'b'", 'Invalid $filter: the option is given more than once'],
    ['$filter=%zz', "Invalid $filter: malformed percent-encoding in '%zz'"],
    ['$filter=Name%2', 'Invalid $filter: malformed percent-encoding'],
    ["$filter=Name eq '%C3'", 'Invalid $filter: malformed percent-encoding'],
    ["$filter=Name eq '%ED%A0%80'", 'Invalid $filter: malformed percent-encoding'],
    ['$orderby=%', 'Invalid $orderby: malformed percent-encoding'],
    ['$fil%zzter=1', 'Malformed percent-encoding in the query option name'],
    ['%24fil%zz=1', 'Malformed percent-encoding in the query option name'],
    ['$filter=', 'Invalid $filter: the expression is empty'],
    ["$filter=Options eq 'abc'", "Invalid $filter: cannot compare Options (Edm.Int32) with 'abc' (Edm.String)"],
  ])('%s: %s', (query, fragment) => {
    expect(refusal(query)).toContain(fragment);
  });

  it('passes filter limits through', () => {
    expect(refusal("$filter=Name eq 'abcdef'", AssetFile, { maxFilterLength: 10 })).toContain('the limit is 10');
    expect(refusal('$filter=((IsPrimary))', AssetFile, { maxFilterDepth: 1 })).toContain('deeper than 1 levels');
  });
});

describe('$top and $skip', () => {
  it('take non-negative integers', () => {
    expect(parseQueryOptions('$top=0&$skip=0', AssetFile)).toMatchObject({ top: 0, skip: 0 });
    expect(parseQueryOptions('$top=25&$skip=50', AssetFile)).toMatchObject({ top: 25, skip: 50 });
    expect(parseQueryOptions('$top=007', AssetFile).top).toBe(7);
    expect(parseQueryOptions('$skip=2147483647', AssetFile).skip).toBe(2147483647);
  });

  it('serve a $top above 1000 as 1000 instead of refusing it', () => {
    expect(parseQueryOptions('$top=1000', AssetFile).top).toBe(1000);
    expect(parseQueryOptions('$top=5000', AssetFile).top).toBe(1000);
    expect(parseQueryOptions('$top=2147483647', AssetFile).top).toBe(1000);
    expect(parseQueryOptions('$top=50', AssetFile, { maxTop: 10 }).top).toBe(10);
  });

  it.each(['-1', '+1', '%2B1', '1.5', '1e3', '', ' 1', '1 ', 'abc', '0x10', '2147483648', '99999999999999999999', '１'])('refuse %j', (value) => {
    for (const option of ['$top', '$skip']) {
      const message = refusal(`${option}=${value}`);
      expect(message).toMatch(new RegExp(`^Invalid \\${option}: '`));
      expect(message).toMatch(/is not a non-negative integer|is larger than 2147483647/);
    }
  });
});

describe('$orderby', () => {
  it('comma-separated properties with optional asc or desc', () => {
    expect(parseQueryOptions('$orderby=Name', AssetFile).orderBy).toEqual([{ property: 'Name', descending: false }]);
    expect(parseQueryOptions('$orderby=Name asc', AssetFile).orderBy).toEqual([{ property: 'Name', descending: false }]);
    expect(parseQueryOptions('$orderby=Created+desc,Name', AssetFile).orderBy).toEqual([
      { property: 'Created', descending: true },
      { property: 'Name', descending: false },
    ]);
    expect(parseQueryOptions('$orderby=+Name+++desc+,+Id+', AssetFile).orderBy).toEqual([
      { property: 'Name', descending: true },
      { property: 'Id', descending: false },
    ]);
  });

  it.each([
    ['$orderby=Nme', "Invalid $orderby: 'Nme' is not a property of AssetFile (did you mean 'Name'"],
    ['$orderby=Name DESC', 'directions are lower-case: desc'],
    ['$orderby=Name up', "expected asc or desc after Name, found 'up'"],
    ['$orderby=Name desc extra', "'Name desc extra' is not 'Property', 'Property asc' or 'Property desc'"],
    ['$orderby=length(Name)', "'length(Name)' is not a property name"],
    ['$orderby=', 'Invalid $orderby: the value is empty'],
    ['$orderby=Name,', "Invalid $orderby: item 2 of 'Name,' is empty"],
    ['$orderby=,Name', 'item 1'],
  ])('%s: %s', (query, fragment) => {
    expect(refusal(query)).toContain(fragment);
  });

  it('refuses navigation properties, paths and complex collections', () => {
    expect(refusal('$orderby=Files', Asset)).toContain("'Files' is a navigation property of Asset; navigation properties cannot be used in $orderby");
    expect(refusal('$orderby=StorageAccount/Name', Asset)).toContain("property paths such as 'StorageAccount/Name' are not supported");
    expect(refusal('$orderby=ErrorDetails', Task)).toContain("'ErrorDetails' is a collection of ErrorDetail and cannot be used in $orderby");
  });
});

describe('$select', () => {
  it('returns the names in declared order, without duplicates', () => {
    expect(parseQueryOptions('$select=Name,Id', AssetFile).select).toEqual(['Id', 'Name']);
    expect(parseQueryOptions('$select=Name,+Name', AssetFile).select).toEqual(['Name']);
    expect(parseQueryOptions('$select=ErrorDetails', Task).select).toEqual(['ErrorDetails']);
  });

  it("'*' stands for every property", () => {
    const all = AssetFile.properties.map((p) => p.name);
    expect(parseQueryOptions('$select=*', AssetFile).select).toEqual(all);
    expect(parseQueryOptions('$select=Name,*', AssetFile).select).toEqual(all);
  });

  it.each([
    ['$select=name', AssetFile, "Invalid $select: 'name' is not a property of AssetFile (did you mean 'Name'"],
    ['$select=Files', Asset, "Invalid $select: 'Files' is a navigation property of Asset; selecting it would need $expand, which is not supported by Media Services"],
    ['$select=Files/Name', Asset, "property paths such as 'Files/Name' are not supported"],
    ['$select=Name,,Id', AssetFile, "item 2 of 'Name,,Id' is empty"],
    ['$select=', AssetFile, 'Invalid $select: the value is empty'],
    ['$select=Na me', AssetFile, "'Na me' is not a property name"],
  ])('%s', (query, type, fragment) => {
    expect(refusal(query, type)).toContain(fragment);
  });
});

describe('$inlinecount', () => {
  it('allpages and none', () => {
    expect(parseQueryOptions('$inlinecount=allpages', AssetFile).inlineCount).toBe(true);
    expect(parseQueryOptions('$inlinecount=none', AssetFile).inlineCount).toBe(false);
  });

  it.each(['AllPages', 'true', '', 'all pages'])('refuses %j', (value) => {
    expect(refusal(`$inlinecount=${value}`)).toMatch(/^Invalid \$inlinecount: '.*' \(expected allpages or none\)$/);
  });
});

describe('parseQueryOptions property', () => {
  const check = (query: string): void => {
    try {
      parseQueryOptions(query, AssetFile);
    } catch (e) {
      if (!(e instanceof ODataError) || e.status !== 400) throw e;
    }
  };

  const pieces = [
    '$filter=', '$orderby=', '$top=', '$skip=', '$select=', '$inlinecount=', '$expand=', '$format=', '$xyz=', '%24filter=',
    'api-version=2.19', '&', '=', '?', '+', '%', '%2', '%zz', '%20', '%27', '%2B', '%C3', '%E2%82%AC', "'", "''", '(', ')', ',',
    '/', 'Name', 'Id', 'Options', 'IsPrimary', 'Created', 'Files', 'eq', 'and', 'not', 'desc', 'asc', '*', 'allpages', '1',
    '-1', '1000000', '1.5', 'startswith(', "datetime'2015-01-01T00:00:00'", 'null', 'true', '\u0000', '🎬',
  ];
  const structured = fc.array(fc.constantFrom(...pieces), { maxLength: 25 }).map((parts) => parts.join(''));

  it('any query string gives options or a 400, never another error', () => {
    fc.assert(fc.property(fc.string(), check), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'binary' }), check), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }).map((s) => `$filter=${s}`), check), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'binary' }).map((s) => `$filter=${encodeURIComponent(s)}`), check), { numRuns: 300 });
    fc.assert(fc.property(structured, check), { numRuns: 2000 });
  });

  it('a $filter survives encodeURIComponent: the decoded text is what was written', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), (value) => {
        const text = `Name eq '${value.replace(/'/g, "''")}'`;
        const options = parseQueryOptions(`$filter=${encodeURIComponent(text)}`, AssetFile);
        expect(options.filter).toMatchObject({ right: { type: 'Edm.String', value } });
      }),
      { numRuns: 200 },
    );
  });
});
