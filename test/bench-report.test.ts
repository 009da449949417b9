import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatResult, median, resultOfRounds, spreadOf, verdictOf } from '../bench/lib/report.js';
import { percentileRatiosBySlice } from '../bench/lib/load.js';
import { crossoverRatios, ratiosOf } from '../bench/lib/timing.js';

const positive = fc.double({ min: 0.01, max: 1000, noNaN: true });
const rounds = fc.array(positive, { minLength: 3, maxLength: 12 });

describe('bench verdicts', () => {
  it('gives no verdict but TOO NOISY TO JUDGE when the rounds spread more than the tolerance, whatever the ratio', () => {
    fc.assert(
      fc.property(rounds, positive, fc.double({ min: 0, max: 2, noNaN: true }), fc.constantFrom('>=' as const, '<=' as const), (ratios, target, tolerance, direction) => {
        const result = resultOfRounds({ name: 'x', value: 'v', target, direction, tolerance }, ratios);
        const verdict = verdictOf(result);
        if (result.spread > tolerance) {
          expect(verdict).toBe('TOO NOISY TO JUDGE');
          expect(formatResult(result)).not.toMatch(/PASS|BELOW TARGET/);
        } else {
          const meets = direction === '>=' ? median(ratios) >= target : median(ratios) <= target;
          expect(verdict).toBe(meets ? 'PASS' : 'BELOW TARGET');
        }
      }),
    );
  });

  it('judges steady rounds by their median, and refuses under three rounds', () => {
    const steady = resultOfRounds({ name: 'x', value: 'v', target: 0.95, direction: '>=' }, [0.97, 0.98, 0.96, 2.5, 0.97]);
    expect(steady.ratio).toBe(0.97);
    expect(verdictOf(steady)).toBe('PASS');
    const swinging = resultOfRounds({ name: 'x', value: 'v', target: 0.95, direction: '>=' }, [0.62, 0.91, 0.97, 0.69, 0.95]);
    expect(verdictOf(swinging)).toBe('TOO NOISY TO JUDGE');
    expect(verdictOf(resultOfRounds({ name: 'x', value: 'v', target: 0.5, direction: '>=' }, [1, 1]))).toBe('TOO NOISY TO JUDGE');
  });

  it('measures spread relative to the median: zero for equal rounds, the same at any scale', () => {
    fc.assert(
      fc.property(rounds, positive, (values, scale) => {
        expect(spreadOf(values.map(() => values[0]!))).toBe(0);
        expect(spreadOf(values.map((v) => v * scale))).toBeCloseTo(spreadOf(values), 6);
        expect(spreadOf(values)).toBeGreaterThanOrEqual(0);
      }),
    );
  });

  it('charges what running second costs to both sides once a round when each round runs both orders', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(positive, positive), { minLength: 2, maxLength: 6 }),
        fc.double({ min: 0.001, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (rounds, factor, secondCost) => {
          // Each round, side a takes `factor` times b's time; whichever side runs second pays `secondCost`.
          const a: number[] = [];
          const b: number[] = [];
          // Pass 1 runs a first, pass 2 runs b first: a pays in pass 2, b in pass 1.
          for (const [first, second] of rounds) {
            a.push(factor * first, factor * second + secondCost);
            b.push(first + secondCost, second);
          }
          const expected = rounds.map(([first, second]) => (factor * (first + second) + secondCost) / (first + second + secondCost));
          crossoverRatios(a, b).forEach((ratio, r) => expect(ratio).toBeCloseTo(expected[r]!, 9));
        },
      ),
    );
    // The same passes judged one by one swing with the order; as crossover rounds they agree.
    const a = [7.3, 8.3, 7.2, 8.2, 7.2, 8.2];
    const b = [8.3, 7.3, 8.2, 7.2, 8.2, 7.2];
    expect(verdictOf(resultOfRounds({ name: 'x', value: 'v', target: 0.95, direction: '>=' }, ratiosOf(a, b)))).toBe('TOO NOISY TO JUDGE');
    expect(crossoverRatios(a, b)).toEqual([1, 1, 1]);
    expect(verdictOf(resultOfRounds({ name: 'x', value: 'v', target: 0.95, direction: '>=' }, crossoverRatios(a, b)))).toBe('PASS');
    expect(() => crossoverRatios([1, 2, 3], [1, 2, 3])).toThrow(/two passes/);
  });

  it('compares latency windows slice by slice', () => {
    const earlier = Array.from({ length: 100 }, (_, i) => 1 + (i % 10));
    const later = earlier.map((v) => v * 2);
    expect(percentileRatiosBySlice(later, earlier, 50)).toEqual([2, 2, 2, 2, 2]);
  });

  it('is how every bench script reports: the machine first, verdicts only through formatResult', () => {
    const root = new URL('../', import.meta.url);
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    const benches = Object.entries(pkg.scripts).filter(([name]) => name.startsWith('bench:'));
    expect(benches.length).toBeGreaterThanOrEqual(5);
    for (const [name, command] of benches) {
      const entry = /node dist\/(bench\/[\w-]+)\.js/.exec(command)?.[1];
      expect(entry, `${name} runs a bench/*.ts entry`).toBeDefined();
      const source = readFileSync(new URL(`${entry}.ts`, root), 'utf8');
      expect(source, `${name} prints the machine it ran on`).toMatch(/(console\.log|print)\(machineLine\(\)\)/);
      expect(source, `${name} prints its results through formatResult`).toMatch(/formatResult\(/);
      // A verdict written by hand would skip the spread check: only report.ts may decide one.
      expect(source.replace(/verdicts\[i\] === 'PASS'|count\('(PASS|BELOW TARGET|TOO NOISY TO JUDGE)'\)/g, ''), `${name} writes no verdict of its own`).not.toMatch(/'(PASS|BELOW TARGET|TOO NOISY TO JUDGE)'/);
    }
  });
});
