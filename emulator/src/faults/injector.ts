import { randomInt } from 'node:crypto';
import { parseFaultRule, matches, type FaultRule, type RequestShape } from './rules.js';
import { mulberry32 } from '../seeded-random.js';

export interface FaultDecision {
  rule: FaultRule;
  /** Answer with this status (undefined: only delay, then let the request through). */
  status?: number;
}

/**
 * The active rules, in the order they were added; the first rule that matches and fires decides.
 * Each rule draws from its own seeded generator, so the same seed and requests give the same faults.
 */
export class FaultInjector {
  private rules: FaultRule[] = [];
  private readonly random = new Map<string, () => number>();
  private nextId = 1;

  /** Add rules, all or none: one invalid rule refuses the whole request. */
  add(bodies: readonly unknown[]): FaultRule[] {
    const rules = bodies.map((body, i) => parseFaultRule(body, `fault-${this.nextId + i}`, randomInt(2 ** 32 - 1)));
    this.nextId += rules.length;
    for (const rule of rules) {
      this.rules.push(rule);
      this.random.set(rule.id, mulberry32(rule.seed));
    }
    return rules.map((r) => ({ ...r }));
  }

  list(): FaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    this.random.delete(id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
    this.random.clear();
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  decide(request: RequestShape): FaultDecision | undefined {
    for (const rule of this.rules) {
      if (!matches(rule, request)) continue;
      rule.matched++;
      if (rule.remaining !== undefined && rule.remaining <= 0) continue;
      if (this.random.get(rule.id)!() >= rule.probability) continue;
      rule.applied++;
      if (rule.remaining !== undefined) rule.remaining--;
      return { rule, status: rule.status };
    }
    return undefined;
  }
}
