import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AssetFile, Task } from '../../src/odata/edm.js';
import { applyQuery, parseQueryOptions, selectedProperties, type QueryOptions } from '../../src/odata/query/index.js';
import { Sample } from '../helpers/query-sample.js';

interface Row {
  [key: string]: unknown;
  Id: string;
  Name: string | null;
  Count: number | null;
  Size: string | null;
  Flag: boolean | null;
  When: string | null;
}

function row(id: number, fields: Partial<Row> = {}): Row {
  return { Id: `r${id}`, Name: null, Count: null, Size: null, Flag: null, When: null, ...fields };
}

const ids = (rows: readonly Row[]): string[] => rows.map((r) => r.Id);
const run = (rows: readonly Row[], query: string, maxPage?: number) => applyQuery(rows, parseQueryOptions(query, Sample), Sample, maxPage);

describe('applyQuery: paging', () => {
  const rows = Array.from({ length: 1500 }, (_, i) => row(i, { Count: i % 7 }));

  it('without options returns records in input order, at most 1000', () => {
    const { items, count } = run(rows, '');
    expect(items).toHaveLength(1000);
    expect(items[0]).toBe(rows[0]);
    expect(items[999]).toBe(rows[999]);
    expect(count).toBeUndefined();
  });

  it('$top above 1000 still gets 1000; $skip pages on', () => {
    expect(run(rows, '$top=5000').items).toHaveLength(1000);
    expect(ids(run(rows, '$skip=1000').items)).toEqual(ids(rows.slice(1000)));
    expect(ids(run(rows, '$skip=998&$top=3').items)).toEqual(['r998', 'r999', 'r1000']);
    expect(run(rows, '$skip=1500').items).toEqual([]);
    expect(run(rows, '$skip=2147483647&$top=2147483647').items).toEqual([]);
    expect(run(rows, '$top=0').items).toEqual([]);
  });

  it('maxPage caps the page with or without $top', () => {
    expect(run(rows, '', 10).items).toHaveLength(10);
    expect(run(rows, '$top=20', 10).items).toHaveLength(10);
    expect(run(rows, '$top=5', 10).items).toHaveLength(5);
    const direct: QueryOptions = { orderBy: [], skip: 0, inlineCount: false, top: 5000 };
    expect(applyQuery(rows, direct, Sample).items).toHaveLength(1000);
  });

  it('$inlinecount counts after the filter and before paging', () => {
    const { items, count } = run(rows, '$filter=Count eq 3&$top=2&$skip=1&$inlinecount=allpages');
    expect(count).toBe(rows.filter((r) => r.Count === 3).length);
    expect(ids(items)).toEqual(ids(rows.filter((r) => r.Count === 3).slice(1, 3)));
    expect(run(rows, '$inlinecount=none').count).toBeUndefined();
    expect(run(rows, '$filter=Count gt 100&$inlinecount=allpages')).toEqual({ items: [], count: 0 });
  });

  it('takes any iterable, consumed once', () => {
    function* generate(): Generator<Row> {
      for (let i = 0; i < 5; i++) yield row(i, { Count: i });
    }
    expect(ids(applyQuery(generate(), parseQueryOptions('$filter=Count ge 3', Sample), Sample).items)).toEqual(['r3', 'r4']);
    const map = new Map([['a', row(1, { Count: 1 })], ['b', row(2, { Count: 2 })]]);
    expect(ids(applyQuery(map.values(), parseQueryOptions('$orderby=Count desc', Sample), Sample).items)).toEqual(['r2', 'r1']);
  });
});

describe('applyQuery: $orderby', () => {
  const rows = [
    row(0, { Name: 'b', Count: 2, Size: '10', Flag: true, When: '2015-01-02T00:00:00.000Z' }),
    row(1, { Name: 'a', Count: 1, Size: '9', Flag: false, When: '2015-01-01T00:00:00.000Z' }),
    row(2, { Name: null, Count: 2, Size: null, Flag: null, When: null }),
    row(3, { Name: 'B', Count: 1, Size: '9223372036854775807', Flag: true, When: '2014-12-31T23:59:59.999Z' }),
    row(4, { Name: 'a', Count: 2, Size: '-1', Flag: false, When: '2015-01-01T00:00:00.001Z' }),
  ];

  it('strings ordinally, nulls first ascending and last descending', () => {
    expect(ids(run(rows, '$orderby=Name').items)).toEqual(['r2', 'r3', 'r1', 'r4', 'r0']);
    expect(ids(run(rows, '$orderby=Name desc').items)).toEqual(['r0', 'r1', 'r4', 'r3', 'r2']);
  });

  it('Int64 numerically, not as text', () => {
    expect(ids(run(rows, '$orderby=Size').items)).toEqual(['r2', 'r4', 'r1', 'r0', 'r3']);
  });

  it('DateTime as instants, booleans false before true', () => {
    expect(ids(run(rows, '$orderby=When').items)).toEqual(['r2', 'r3', 'r1', 'r4', 'r0']);
    expect(ids(run(rows, '$orderby=Flag').items)).toEqual(['r2', 'r1', 'r4', 'r0', 'r3']);
  });

  it('ties keep input order; later keys break ties', () => {
    expect(ids(run(rows, '$orderby=Count').items)).toEqual(['r1', 'r3', 'r0', 'r2', 'r4']);
    expect(ids(run(rows, '$orderby=Count desc').items)).toEqual(['r0', 'r2', 'r4', 'r1', 'r3']);
    expect(ids(run(rows, '$orderby=Count desc,Name').items)).toEqual(['r2', 'r4', 'r0', 'r3', 'r1']);
    expect(ids(run(rows, '$orderby=Count,Name desc').items)).toEqual(['r1', 'r3', 'r0', 'r4', 'r2']);
  });

  it('orders before paging, after filtering', () => {
    expect(ids(run(rows, "$filter=Name ne 'b'&$orderby=Size desc&$skip=1&$top=2").items)).toEqual(['r1', 'r4']);
  });

  it('does not reorder or copy the input', () => {
    const copy = [...rows];
    run(rows, '$orderby=Name desc');
    expect(rows).toEqual(copy);
    expect(run(rows, '').items[0]).toBe(rows[0]);
  });
});

describe('selectedProperties', () => {
  it('all properties in declared order without $select or with *', () => {
    const all = AssetFile.properties.map((p) => p.name);
    expect(selectedProperties(parseQueryOptions('', AssetFile), AssetFile)).toEqual(all);
    expect(selectedProperties(parseQueryOptions('$select=*', AssetFile), AssetFile)).toEqual(all);
    expect(selectedProperties({ orderBy: [], skip: 0, inlineCount: false, select: ['*'] }, AssetFile)).toEqual(all);
  });

  it('the selected ones in declared order', () => {
    expect(selectedProperties(parseQueryOptions('$select=Options,Name,Id', AssetFile), AssetFile)).toEqual(['Id', 'Name', 'Options']);
    expect(selectedProperties({ orderBy: [], skip: 0, inlineCount: false, select: ['HistoricalEvents', 'Id'] }, Task)).toEqual(['Id', 'HistoricalEvents']);
  });
});

// ---- property: a page is a slice of the filtered, ordered list ----

const NAMES = ['a', 'b', 'B', ''];
const SIZES = ['-5', '0', '9', '10', '9007199254740993'];
const TIMES = ['2015-01-01T00:00:00.000Z', '2015-01-01T00:00:00.001Z', '1999-12-31T23:59:59.999Z'];

const rowsArb = fc
  .array(
    fc.record({
      Name: fc.option(fc.constantFrom(...NAMES)),
      Count: fc.option(fc.integer({ min: 0, max: 3 })),
      Size: fc.option(fc.constantFrom(...SIZES)),
      Flag: fc.option(fc.boolean()),
      When: fc.option(fc.constantFrom(...TIMES)),
    }),
    { maxLength: 40 },
  )
  .map((records) => records.map((fields, i) => row(i, fields)));

interface Filter {
  text: string;
  holds: (r: Row) => boolean;
}

const filterArb: fc.Arbitrary<Filter | undefined> = fc.option(
  fc.oneof(
    fc.integer({ min: 0, max: 3 }).map((n) => ({ text: `Count ge ${n}`, holds: (r: Row) => r.Count !== null && r.Count >= n })),
    fc.constantFrom(...NAMES).map((v) => ({ text: `Name ne '${v}'`, holds: (r: Row) => r.Name !== v })),
    fc.constant({ text: 'Flag', holds: (r: Row) => r.Flag === true }),
    fc.constantFrom(...SIZES).map((v) => ({ text: `Size lt ${v}L`, holds: (r: Row) => r.Size !== null && BigInt(r.Size) < BigInt(v) })),
  ),
  { nil: undefined },
);

type Key = 'Name' | 'Count' | 'Size' | 'Flag' | 'When';

/** The model's order for one key: nulls first, then the natural order of the stored value. */
function modelCompare(key: Key, a: Row, b: Row): number {
  const x = a[key];
  const y = b[key];
  if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
  const rank = (v: unknown): number | bigint | string =>
    key === 'Size' ? BigInt(v as string) : key === 'When' ? Date.parse(v as string) : key === 'Flag' ? Number(v) : (v as number | string);
  const rx = rank(x);
  const ry = rank(y);
  return rx < ry ? -1 : rx > ry ? 1 : 0;
}

const orderArb = fc.uniqueArray(
  fc.record({ key: fc.constantFrom<Key>('Name', 'Count', 'Size', 'Flag', 'When'), desc: fc.boolean() }),
  { maxLength: 3, selector: (o) => o.key },
);

describe('applyQuery property', () => {
  it('items equal slicing the filtered, ordered list; count equals the filtered length', () => {
    fc.assert(
      fc.property(
        rowsArb,
        filterArb,
        orderArb,
        fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
        fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
        fc.integer({ min: 1, max: 30 }),
        (rows, filter, order, top, skip, maxPage) => {
          const parts = ['$inlinecount=allpages'];
          if (filter) parts.push(`$filter=${encodeURIComponent(filter.text)}`);
          if (order.length > 0) parts.push(`$orderby=${order.map((o) => `${o.key}${o.desc ? ' desc' : ''}`).join(',')}`);
          if (top !== undefined) parts.push(`$top=${top}`);
          if (skip !== undefined) parts.push(`$skip=${skip}`);
          const result = applyQuery(rows, parseQueryOptions(parts.join('&'), Sample), Sample, maxPage);

          const filtered = rows.filter((r) => filter === undefined || filter.holds(r));
          const ordered = [...filtered].sort((a, b) => {
            for (const o of order) {
              const c = modelCompare(o.key, a, b);
              if (c !== 0) return o.desc ? -c : c;
            }
            return 0; // Array.prototype.sort is stable: ties keep input order
          });
          const from = skip ?? 0;
          const expected = ordered.slice(from, from + Math.min(top ?? maxPage, maxPage));
          expect(ids(result.items)).toEqual(ids(expected));
          expect(result.count).toBe(filtered.length);
        },
      ),
      { numRuns: 400 },
    );
  });
});
