/**
 * Runs tasks one at a time per key, in call order. A container's stored access policies are
 * read-modify-written as one ACL and Set Container ACL has no ETag condition, so two locators
 * created at once on one asset would otherwise drop one of the two policies.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
