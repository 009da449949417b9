/**
 * What a client may expect to find after a crash, given what it was told. Each register (an
 * entity's existence, or one of its properties) is written by one client at a time, in order. A
 * write the client saw acknowledged must be there unless a later write replaced it; a write whose
 * answer never came (the process died first) may or may not have happened; a refused write did
 * not happen.
 */

/** The value of a register nobody has written yet: an entity not there, a property still null. */
export const ABSENT = '(absent)';

type Outcome = 'pending' | 'acked' | 'refused' | 'unknown';

interface Write {
  readonly value: string;
  outcome: Outcome;
}

export interface WriteHandle {
  ack(): void;
  refuse(): void;
}

export class CrashModel {
  readonly #registers = new Map<string, Write[]>();
  /** Requests sent and not answered yet, with the register writes each carries. */
  #pending = new Set<Write[]>();
  #acked = 0;
  #unknown = 0;

  /** Record a write about to be sent (one value per register it sets); settle it when its answer arrives. */
  begin(values: Readonly<Record<string, string>>): WriteHandle {
    const writes = Object.entries(values).map(([register, value]) => {
      const write: Write = { value, outcome: 'pending' };
      let list = this.#registers.get(register);
      if (list === undefined) this.#registers.set(register, (list = []));
      list.push(write);
      return write;
    });
    this.#pending.add(writes);
    const settle = (outcome: 'acked' | 'refused') => {
      // After crashed() the answer can no longer come: the request stays unknown.
      if (!this.#pending.delete(writes)) return;
      if (outcome === 'acked') this.#acked++;
      for (const write of writes) write.outcome = outcome;
    };
    return { ack: () => settle('acked'), refuse: () => settle('refused') };
  }

  /** What an acknowledged request turned out to have written (a create's id comes with its answer). */
  learned(values: Readonly<Record<string, string>>): void {
    for (const [register, value] of Object.entries(values)) {
      let list = this.#registers.get(register);
      if (list === undefined) this.#registers.set(register, (list = []));
      list.push({ value, outcome: 'acked' });
    }
  }

  /** The process died: every request still waiting for its answer may or may not have happened. */
  crashed(): void {
    for (const writes of this.#pending) for (const write of writes) write.outcome = 'unknown';
    this.#unknown += this.#pending.size;
    this.#pending.clear();
  }

  /** Writes acknowledged so far (a request that set several registers counts once). */
  get acknowledged(): number {
    return this.#acked;
  }

  /** Requests whose answer never came. */
  get unknown(): number {
    return this.#unknown;
  }

  registers(): string[] {
    return [...this.#registers.keys()];
  }

  /**
   * Why `actual` cannot be the register's value, or undefined if it can: it must be the last
   * acknowledged write, or a write whose answer never came (or ABSENT, before any acknowledged
   * write). A write with no answer may land at any time, even after a later one was acknowledged:
   * the client gave up on it (a timeout under load) and went on while the server still held it.
   */
  problem(register: string, actual: string): string | undefined {
    const list = this.#registers.get(register) ?? [];
    let lastAcked = -1;
    list.forEach((write, index) => {
      if (write.outcome === 'acked') lastAcked = index;
    });
    const allowed = new Set<string>(lastAcked < 0 ? [ABSENT] : []);
    list.forEach((write, index) => {
      if (write.outcome === 'unknown' || (write.outcome === 'acked' && index >= lastAcked)) allowed.add(write.value);
    });
    if (allowed.has(actual)) return undefined;
    return `${register} is ${brief(actual)}; it may only be ${[...allowed].map(brief).join(' or ')}`;
  }
}

function brief(value: string): string {
  return value.length > 40 ? `${value.slice(0, 37)}...` : value;
}
