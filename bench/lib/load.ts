/** Small helpers the load benches share. */

/** Run `task(0..count-1)` with at most `concurrency` in flight. */
export async function concurrently(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The p-th percentile (nearest rank) of `values`. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * The p-th percentile of `later` over that of `earlier`, slice by slice: both cut into `slices`
 * equal runs, slice k against slice k. The slices are the rounds of a latency comparison whose
 * two windows cannot be interleaved (the state grows between them).
 */
export function percentileRatiosBySlice(later: readonly number[], earlier: readonly number[], p: number, slices = 5): number[] {
  const cut = (values: readonly number[], k: number): number[] => values.slice(Math.floor((k * values.length) / slices), Math.floor(((k + 1) * values.length) / slices));
  return Array.from({ length: slices }, (_, k) => percentile(cut(later, k), p) / percentile(cut(earlier, k), p));
}

/** A positive whole-number environment variable (a size, a count), or `fallback` when unset. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, not ${raw}`);
  return value;
}
