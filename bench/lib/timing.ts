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

/** One run of one contender: wall-clock seconds, and CPU seconds of this process (all threads). */
export interface RunTime {
  seconds: number;
  cpuSeconds: number;
}

/**
 * `rounds` rounds of every contender, each round running them all back to back, from a collected
 * heap, in an order that rotates from round to round: a change in the machine's state (a noisy
 * neighbour, frequency, page cache) then hits all of them alike, and none always runs first. The
 * times of each contender come back in round order, so round r of one pairs with round r of
 * another (see `ratiosOf`).
 */
export async function interleavedRounds<K extends string>(
  rounds: number,
  contenders: Record<K, () => unknown>,
  onRun?: (round: number, name: K, time: RunTime) => void,
): Promise<Record<K, RunTime[]>> {
  const names = Object.keys(contenders) as K[];
  const times = Object.fromEntries(names.map((name) => [name, [] as RunTime[]])) as Record<K, RunTime[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!;
      collectGarbage();
      const cpuBefore = process.cpuUsage();
      const seconds = await timeOnce(contenders[name]);
      const cpu = process.cpuUsage(cpuBefore);
      const time = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
      times[name].push(time);
      onRun?.(round, name, time);
    }
  }
  return times;
}

/**
 * `first` then `second` in even rounds, the other way round in odd ones: for contenders that cannot
 * go through `interleavedRounds` (each needs what the previous step made), so that neither always
 * meets the fresher machine.
 */
export async function inTurn(round: number, first: () => Promise<unknown>, second: () => Promise<unknown>): Promise<void> {
  for (const step of round % 2 === 0 ? [first, second] : [second, first]) await step();
}

/**
 * Round-by-round ratios of two contenders measured in passes that alternate their order (see
 * `inTurn`): round r is passes 2r and 2r + 1, one with each contender first, and its ratio is the
 * total of `a` over the total of `b` in the two. Whatever running first or second costs (the
 * memory, cache or heap the leg before leaves) is then paid by both sides once per round, where a
 * ratio per pass swings with the order: on a VM whose first leg after a clean-up got recycled
 * memory and whose second leg faulted in fresh pages, pass ratios alternated between 0.80-0.91
 * and 1.10-1.15 (plain time / encrypted time, 1 GiB uploads), while the crossover rounds of the same
 * passes gave 0.94-1.00.
 */
export function crossoverRatios(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`${a.length} passes against ${b.length}`);
  if (a.length % 2 !== 0) throw new Error(`${a.length} passes: a crossover round is two passes, one in each order`);
  return Array.from({ length: a.length / 2 }, (_, r) => (a[2 * r]! + a[2 * r + 1]!) / (b[2 * r]! + b[2 * r + 1]!));
}

/** Round-by-round `a / b` of two series measured in the same rounds. */
export function ratiosOf(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`${a.length} rounds against ${b.length}`);
  return a.map((value, round) => value / b[round]!);
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
