import { describe, expect, it } from 'vitest';
import { VerificationScheduler, type RunResult } from '../../src/verify/scheduler.js';

/**
 * When verifications run: debounced per file, the latest state wins over a run in progress,
 * storage faults retry until they pass, waiters wake. Assertions are on what ran, not on timings.
 */

const OPTIONS = { debounceMs: 20, concurrency: 2, retryInitialMs: 5, retryMaxMs: 20 };

interface Recorder {
  runs: string[];
  aborted: string[];
  scheduler: VerificationScheduler;
}

/** A scheduler whose runs take `ms` and end with the results `results(fileId, n)` (n-th run of the file). */
function recorder(ms: number, results: (fileId: string, n: number) => RunResult = () => 'done', concurrency = OPTIONS.concurrency): Recorder & { maxRunning: () => number } {
  const runs: string[] = [];
  const aborted: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const scheduler = new VerificationScheduler(
    (fileId, signal) =>
      new Promise<RunResult>((resolve) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const n = runs.filter((r) => r === fileId).length;
        runs.push(fileId);
        const timer = setTimeout(() => {
          running--;
          resolve(results(fileId, n));
        }, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          aborted.push(fileId);
          running--;
          resolve('done');
        });
      }),
    { ...OPTIONS, concurrency },
  );
  return { runs, aborted, scheduler, maxRunning: () => maxRunning };
}

describe('VerificationScheduler', () => {
  it('verifies a file changed several times in a row once', async () => {
    const r = recorder(1);
    for (let i = 0; i < 5; i++) r.scheduler.touch('a');
    expect(r.scheduler.isPending('a')).toBe(true);
    expect(await r.scheduler.idle(5_000)).toBe(true);
    expect(r.runs).toEqual(['a']);
  });

  it('a change during a run abandons it and verifies the latest state', async () => {
    const r = recorder(200);
    r.scheduler.touch('a', 0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    r.scheduler.touch('a');
    expect(await r.scheduler.settled('a', 5_000)).toBe(true);
    expect(r.runs).toEqual(['a', 'a']);
    expect(r.aborted).toEqual(['a']);
  });

  it('retries a run that found storage down until it finishes', async () => {
    const r = recorder(1, (_id, n) => (n < 3 ? 'retry' : 'done'));
    r.scheduler.touch('a', 0);
    expect(await r.scheduler.settled('a', 5_000)).toBe(true);
    expect(r.runs).toEqual(['a', 'a', 'a', 'a']);
  });

  it('keeps at most `concurrency` runs going', async () => {
    const r = recorder(20, () => 'done', 2);
    for (const id of ['a', 'b', 'c', 'd', 'e']) r.scheduler.touch(id, 0);
    expect(r.scheduler.pendingCount).toBe(5);
    expect(await r.scheduler.idle(5_000)).toBe(true);
    expect([...r.runs].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(r.maxRunning()).toBe(2);
  });

  it('waiters time out while a file stays pending, and forget() releases them', async () => {
    const r = recorder(1, () => 'retry');
    r.scheduler.touch('a', 0);
    expect(await r.scheduler.settled('a', 50)).toBe(false);
    expect(await r.scheduler.idle(10)).toBe(false);
    const waiting = r.scheduler.settled('a', 5_000);
    r.scheduler.forget('a');
    expect(await waiting).toBe(true);
    expect(r.scheduler.isPending('a')).toBe(false);
  });

  it('close() abandons everything and wakes every waiter', async () => {
    const r = recorder(10_000);
    r.scheduler.touch('a', 0);
    // Far in the future, so it is still waiting (not running) when close() comes, however slow the machine.
    r.scheduler.touch('b', 60_000);
    const waiting = r.scheduler.idle(5_000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await r.scheduler.close();
    expect(await waiting).toBe(true);
    expect(r.aborted).toEqual(['a']);
    r.scheduler.touch('c', 0);
    expect(r.scheduler.pendingCount).toBe(0);
  });
});
