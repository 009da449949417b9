/** One result line: `name: value (ratio X.XX, target >= Y) PASS|BELOW TARGET`. */
export interface BenchResult {
  name: string;
  value: string;
  ratio: number;
  target: number;
  /** `>=` when bigger is better (throughput), `<=` when smaller is (memory). */
  direction: '>=' | '<=';
  /** Printed after the ratio, e.g. what the ratio is of. */
  note?: string;
}

export function meetsTarget(result: BenchResult): boolean {
  return result.direction === '>=' ? result.ratio >= result.target : result.ratio <= result.target;
}

export function formatResult(result: BenchResult): string {
  const note = result.note ? `${result.note}, ` : '';
  const verdict = meetsTarget(result) ? 'PASS' : 'BELOW TARGET';
  return `${result.name}: ${result.value} (${note}ratio ${result.ratio.toFixed(2)}, target ${result.direction} ${result.target}) ${verdict}`;
}

export const MiB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

export function mibPerSecond(bytes: number, seconds: number): number {
  return bytes / MiB / seconds;
}
