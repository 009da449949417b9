import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatResult, median, resultOfRounds, spreadOf, verdictOf } from '../bench/lib/report.js';
import { percentileRatiosBySlice } from '../bench/lib/load.js';

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

  it('compares latency windows slice by slice', () => {
    const earlier = Array.from({ length: 100 }, (_, i) => 1 + (i % 10));
    const later = earlier.map((v) => v * 2);
    expect(percentileRatiosBySlice(later, earlier, 50)).toEqual([2, 2, 2, 2, 2]);
  });
});
