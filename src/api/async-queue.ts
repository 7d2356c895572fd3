// A minimal push/pull queue that turns callbacks (job output, events) into the async iterables
// that server-streaming handlers yield from. Hand-written because it is ten lines and no
// dependency we have offers exactly this.

/** Values pushed by callbacks, pulled by `for await`. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(v: T): void {
    if (this.ended) return;
    this.items.push(v);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      while (this.items.length > 0) yield this.items.shift() as T;
      if (this.ended) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}
