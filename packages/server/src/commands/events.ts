/**
 * Wakes followers of a command (`capstan run --follow`, the console) when its output or statuses
 * change, on this process or (through `tellOthers`) on another replica. Followers read what
 * changed from the store, so a missed wake-up costs at most one poll interval, never data.
 */
export class CommandEvents {
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly unsent = new Set<string>();
  /** Set on PostgreSQL: takes the commands changed in one turn of the event loop to the other replicas. */
  tellOthers: ((commandIds: string[]) => void) | undefined;

  /** Resolves at the next change of the command, or after `ms`. */
  next(commandId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(commandId);
      if (!set) this.waiters.set(commandId, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(commandId) === set) this.waiters.delete(commandId);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  changed(commandId: string): void {
    this.wake(commandId);
    if (!this.tellOthers) return;
    if (this.unsent.size === 0) setImmediate(() => this.flush());
    this.unsent.add(commandId);
  }

  /** Wakes this process's followers only (the change was made on another replica). */
  wake(commandId: string): void {
    const set = this.waiters.get(commandId);
    if (set) for (const f of [...set]) f();
  }

  private flush(): void {
    const ids = [...this.unsent];
    this.unsent.clear();
    if (ids.length) this.tellOthers?.(ids);
  }
}
