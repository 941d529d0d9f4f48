/** The pending timers of a job's JobMaster (restart delays, cancel confirmations), cleared together. */
export class JobTimers {
  private readonly timers = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms` unless {@link clear} runs first; never keeps the process alive. */
  add(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  /** Drops every pending timer. */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
