/**
 * What clients were told, for checking what the emulator kept: every response's status, and for
 * each property written concurrently, the acknowledged writes with the time each was sent and
 * acknowledged (as seen by the client).
 */
import { performance } from 'node:perf_hooks';
import type { AmsCaller, AmsCallOptions, AmsResponse } from '../../../test/support/emulator.js';

export interface TimedWrite {
  value: string;
  sentAt: number;
  ackedAt: number;
}

/** Every call's status, so a test can say "no 5xx" over thousands of requests and count them. */
export class CallLog {
  readonly statuses = new Map<number, number>();
  readonly serverErrors: string[] = [];
  requests = 0;

  /** Wrap a caller: each call is counted, and a 5xx is kept with its method, path and body. */
  wrap(ams: AmsCaller): AmsCaller {
    return async <T>(method: string, path: string, options?: AmsCallOptions): Promise<AmsResponse<T>> => {
      const res = await ams<T>(method, path, options);
      this.requests++;
      this.statuses.set(res.status, (this.statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500 && this.serverErrors.length < 20) this.serverErrors.push(`${method} ${path} -> ${res.status} ${res.text.slice(0, 300)}`);
      return res;
    };
  }
}

/**
 * Acknowledged writes per register (one property of one entity). A register's final value must be
 * one of them, and not one that was acknowledged before another write to it was even sent: that
 * write was applied later, so the earlier value can only be there if the later write was lost.
 */
export class RegisterHistory {
  readonly #writes = new Map<string, TimedWrite[]>();

  /** Send the write; if it is acknowledged (`acked(status)`), record each register's value. */
  async write<T>(values: Readonly<Record<string, string>>, send: () => Promise<AmsResponse<T>>, acked: (status: number) => boolean): Promise<AmsResponse<T>> {
    const sentAt = performance.now();
    const res = await send();
    const ackedAt = performance.now();
    if (acked(res.status)) {
      for (const [register, value] of Object.entries(values)) {
        let list = this.#writes.get(register);
        if (list === undefined) this.#writes.set(register, (list = []));
        list.push({ value, sentAt, ackedAt });
      }
    }
    return res;
  }

  registers(): string[] {
    return [...this.#writes.keys()];
  }

  writes(register: string): readonly TimedWrite[] {
    return this.#writes.get(register) ?? [];
  }

  /** Why `final` cannot be the register's value after its acknowledged writes, or undefined if it can. */
  problem(register: string, final: unknown): string | undefined {
    const writes = this.writes(register);
    if (writes.length === 0) return undefined;
    const candidates = writes.filter((w) => w.value === final);
    if (candidates.length === 0) return `${register} is ${brief(final)}, which no acknowledged write wrote (${writes.length} writes)`;
    const latestAck = Math.max(...candidates.map((w) => w.ackedAt));
    const later = writes.find((w) => w.sentAt > latestAck);
    if (later !== undefined) return `${register} is ${brief(final)}, acknowledged before ${brief(later.value)} was sent: that later acknowledged write was lost`;
    return undefined;
  }
}

function brief(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
