export type Release = () => void;

/**
 * An async mutex with a synchronous try. Snapshot writes (compaction, close) hold it so that the
 * single lowdb instance never has two writes in flight (steno would silently coalesce them) and so
 * that close waits for a running compaction. Compaction needs `tryAcquire`: it must serialise the
 * state in the same tick as it switches journals, so it cannot wait for the lock.
 */
export class Mutex {
  #locked = false;
  readonly #waiters: Array<(release: Release) => void> = [];

  tryAcquire(): Release | undefined {
    if (this.#locked) return undefined;
    this.#locked = true;
    return this.#releaser();
  }

  acquire(): Promise<Release> {
    const release = this.tryAcquire();
    if (release !== undefined) return Promise.resolve(release);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async runExclusive<R>(fn: () => Promise<R>): Promise<R> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  #releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      // Hand the lock straight to the next waiter: a tryAcquire in between must not jump the queue.
      if (next !== undefined) next(this.#releaser());
      else this.#locked = false;
    };
  }
}
