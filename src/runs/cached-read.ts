/**
 * A read of an approved version (gate thresholds, prompt templates), done once per run at its
 * start and reused between runs: an approval anywhere invalidates it (LISTEN/NOTIFY, or this
 * process's own signal), and the TTL bounds how stale it can get if a notification was lost on
 * a connection that died silently.
 */
export class CachedRead<T> {
  private cached: { value: T; at: number } | undefined;
  /** Bumped by every invalidation, so a read that started before one is not cached after it. */
  private generation = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly ttlMs: number,
    /** Subscribes to change signals; returns the unsubscribe function. */
    onChange?: (invalidate: () => void) => () => void,
  ) {
    this.unsubscribe = onChange?.(() => this.invalidate()) ?? (() => {});
  }

  invalidate(): void {
    this.generation++;
    this.cached = undefined;
  }

  async current(): Promise<T> {
    const now = performance.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.value;
    const generation = this.generation;
    const value = await this.read();
    if (generation === this.generation) this.cached = { value, at: now };
    return value;
  }

  close(): void {
    this.unsubscribe();
  }
}
