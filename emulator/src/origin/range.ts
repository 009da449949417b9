/**
 * The `Range` request header (RFC 9110 §14) against a representation of `size` bytes, reduced to
 * what origin delivery answers:
 *
 * - no header, another unit, or a header that is not valid `bytes=` syntax: the full body (200), as
 *   RFC 9110 lets a server ignore a Range it cannot use;
 * - several ranges: the full body (200), rather than a multipart/byteranges answer players never
 *   ask for;
 * - one range: the bytes it selects (206), an end past the last byte cut to it, a suffix longer
 *   than the body meaning all of it;
 * - one range that selects nothing (a first byte at or past the end, a zero-length suffix, any
 *   range of an empty body): 416, whose Content-Range names only the size (`unsatisfiedRange`).
 */
export type RangeDecision =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number }
  | { kind: 'unsatisfiable' };

type Spec = { first: number; last?: number } | { suffix: number };

export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return { kind: 'full' };
  const specs = parseByteRanges(header);
  if (specs === undefined || specs.length !== 1) return { kind: 'full' };
  const spec = specs[0]!;
  if ('suffix' in spec) {
    if (spec.suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - spec.suffix), end: size - 1 };
  }
  if (spec.first >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', start: spec.first, end: spec.last === undefined ? size - 1 : Math.min(spec.last, size - 1) };
}

/** `Content-Range` of a 206. */
export function contentRange(start: number, end: number, size: number): string {
  return `bytes ${start}-${end}/${size}`;
}

/** `Content-Range` of a 416. */
export function unsatisfiedRange(size: number): string {
  return `bytes */${size}`;
}

/** The range specs of `bytes=...`, or undefined when the header is not that (to be ignored). */
function parseByteRanges(header: string): Spec[] | undefined {
  const m = /^\s*bytes\s*=(.*)$/i.exec(header);
  if (!m) return undefined;
  const specs: Spec[] = [];
  // The list syntax allows empty elements ("bytes=0-1,,5-"); they select nothing.
  for (const part of m[1]!.split(',')) {
    const text = part.trim();
    if (text === '') continue;
    const range = /^(\d+)-(\d*)$/.exec(text);
    if (range) {
      const first = Number(range[1]);
      const last = range[2] === '' ? undefined : Number(range[2]);
      if (last !== undefined && last < first) return undefined;
      specs.push(last === undefined ? { first } : { first, last });
      continue;
    }
    const suffix = /^-(\d+)$/.exec(text);
    if (!suffix) return undefined;
    specs.push({ suffix: Number(suffix[1]) });
  }
  return specs.length > 0 ? specs : undefined;
}
