import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * A full garbage collection, without needing `node --expose-gc` on the npm script's command line:
 * each timed run then starts from the same heap instead of paying for the previous run's garbage.
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  setFlagsFromString('--no-expose-gc');
  return gc;
})();

/** Seconds one call of `fn` takes. */
export async function timeOnce(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

/**
 * Best (shortest) time of each contender over `rounds`, running them in turn each round so that
 * a change in machine state (frequency, a noisy neighbour, page cache) hits all of them alike.
 * The heap is collected before every run.
 */
export async function bestOfInterleaved<K extends string>(rounds: number, contenders: Record<K, () => unknown>): Promise<Record<K, number>> {
  const best = {} as Record<K, number>;
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(contenders) as K[]) {
      collectGarbage();
      const seconds = await timeOnce(contenders[name]);
      best[name] = Math.min(best[name] ?? Infinity, seconds);
    }
  }
  return best;
}

/** Operations per second of a synchronous `op`, calling it repeatedly for about `seconds`. */
export function opsPerSecond(op: () => void, seconds: number): number {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  let now = start;
  while (now < deadline) {
    op();
    count++;
    now = performance.now();
  }
  return count / ((now - start) / 1000);
}
