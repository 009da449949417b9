import { cpus, loadavg } from 'node:os';

/**
 * One result line: `name: value (ratio X.XX median of N rounds, spread S% of T%, target >= Y) VERDICT`.
 *
 * A ratio is the median of the ratios measured round by round (each round runs the contender and
 * its anchor back to back), and the verdict is only given when the rounds agree: on a shared or
 * busy machine one round can be twice as slow as the next, and a verdict from such rounds would
 * tell noise from a regression no better than a coin.
 */
export interface BenchResult {
  name: string;
  value: string;
  /** The median of `samples`. */
  ratio: number;
  target: number;
  /** `>=` when bigger is better (throughput), `<=` when smaller is (time, memory). */
  direction: '>=' | '<=';
  /** Rounds the ratio is the median of. */
  rounds: number;
  /** The rounds' relative spread (see `spreadOf`); above `tolerance` no verdict is given. */
  spread: number;
  tolerance: number;
  /** Printed after the ratio, e.g. what the ratio is of. */
  note?: string;
}

export type Verdict = 'PASS' | 'BELOW TARGET' | 'TOO NOISY TO JUDGE';

/** Default tolerance: rounds whose middle half spans more than 10% of their median do not decide a target. */
export const DEFAULT_TOLERANCE = 0.1;

/** A result from the per-round ratios (at least one). */
export function resultOfRounds(
  fields: Omit<BenchResult, 'ratio' | 'rounds' | 'spread' | 'tolerance'> & { tolerance?: number },
  ratios: readonly number[],
): BenchResult {
  return { ...fields, ratio: median(ratios), rounds: ratios.length, spread: spreadOf(ratios), tolerance: fields.tolerance ?? DEFAULT_TOLERANCE };
}

/** Times (ms) against a ceiling, e.g. start-up: each round's time over the ceiling. */
export function underCeiling(name: string, ms: readonly number[], ceilingMs: number): BenchResult {
  return resultOfRounds({ name, value: `${describeRounds(ms, 0)} ms`, note: `target < ${ceilingMs} ms`, target: 1, direction: '<=' }, ms.map((t) => t / ceilingMs));
}

export function meetsTarget(result: BenchResult): boolean {
  return result.direction === '>=' ? result.ratio >= result.target : result.ratio <= result.target;
}

export function verdictOf(result: BenchResult): Verdict {
  if (!(result.spread <= result.tolerance)) return 'TOO NOISY TO JUDGE';
  return meetsTarget(result) ? 'PASS' : 'BELOW TARGET';
}

export function formatResult(result: BenchResult): string {
  const note = result.note ? `${result.note}, ` : '';
  const rounds = result.rounds === 1 ? '1 round' : `median of ${result.rounds}`;
  const spread = `spread ${percent(result.spread)} of ${percent(result.tolerance)} allowed`;
  return `${result.name}: ${result.value} (${note}ratio ${result.ratio.toFixed(2)}, ${rounds}, ${spread}, target ${result.direction} ${result.target}) ${verdictOf(result)}`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * How much the rounds disagree, relative to their median: the interquartile range (nearest rank)
 * over the median, so one stray round among five does not hide an otherwise steady run, and two
 * do not go unnoticed. Fewer than 3 rounds cannot show their spread: Infinity (never judged).
 */
export function spreadOf(values: readonly number[]): number {
  if (values.length < 3) return Infinity;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
  return Math.abs(rank(0.75) - rank(0.25)) / Math.abs(median(values));
}

/** `1.23 (1.10..1.40)`: a median and the range of the rounds around it. */
export function describeRounds(values: readonly number[], digits = 2): string {
  return `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}..${Math.max(...values).toFixed(digits)})`;
}

/**
 * The machine a bench runs on, for its first lines: CPU, cores and the load average when the bench
 * started. A load near the core count means other work shares the CPUs: expect noisy rounds.
 */
export function machineLine(): string {
  const cores = cpus().length;
  const [one, five, fifteen] = loadavg().map((l) => l.toFixed(2));
  const busy = loadavg()[0]! >= cores / 2 ? '; the machine is busy: rounds will be noisy' : '';
  return `machine: ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cores} cores, load average at start ${one} ${five} ${fifteen} (1/5/15 min)${busy}; node ${process.version}`;
}

function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(0)}%` : 'unknown (under 3 rounds)';
}

export const MiB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function mibPerSecond(bytes: number, seconds: number): number {
  return bytes / MiB / seconds;
}
