/**
 * Runs update handlers one at a time, in the order Temporal delivered them, so the item verdicts
 * kept here and the events written by activities always agree.
 */
export class SerialLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
