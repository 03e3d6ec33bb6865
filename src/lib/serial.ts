// Runs async jobs one at a time, in arrival order. Used where check-then-write must not interleave
// within one daemon; the database's unique constraints still guard against other daemons.
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(job, job);
    this.#tail = result.catch(() => {});
    return result;
  }
}
