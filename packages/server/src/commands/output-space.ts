import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Free space that command output must leave on the SQLite store's filesystem. Once the disk is
 * full SQLite can neither commit nor checkpoint its WAL into the database file, so every write
 * fails (node statuses, the audit trail, the scheduler) and a command's invocation waits forever
 * for a reply that cannot be stored. Output is the one thing a node can send without bound, so
 * it stops being stored while this much room is left, enough for the WAL to be checkpointed and
 * for everything else to go on.
 */
export const OUTPUT_STORE_RESERVE = 32 * 1024 * 1024;

/** Whether the store has room for more output, asked of the filesystem at most every `everyMs`. */
export class OutputSpace {
  private readonly dir: string | undefined;
  private free = Infinity;
  private checkedAt = -Infinity;

  /** `sqlitePath` undefined (PostgreSQL, or an in-memory store): the store's disk is not ours to measure. */
  constructor(
    sqlitePath: string | undefined,
    private readonly reserve = OUTPUT_STORE_RESERVE,
    private readonly everyMs = 250,
  ) {
    this.dir = sqlitePath ? dirname(sqlitePath) : undefined;
  }

  /** Takes room for `bytes` of output when there is some above the reserve. */
  take(bytes: number): boolean {
    if (!this.dir) return true;
    const now = performance.now();
    if (now - this.checkedAt >= this.everyMs) {
      try {
        const s = statfsSync(this.dir);
        this.free = s.bavail * s.bsize;
      } catch {
        this.free = Infinity;
      }
      this.checkedAt = now;
    }
    // Each byte is written twice: into the WAL, then into the database file at the checkpoint.
    if (this.free - 2 * bytes < this.reserve) return false;
    this.free -= 2 * bytes;
    return true;
  }
}

/** The start of an invocation's TraceOutput once some of its output was not stored. */
export const OUTPUT_NOT_STORED = 'Capstan stopped storing the output of step';

export const outputNotStoredMessage = (step: string, stream: string, offset: number) =>
  `${OUTPUT_NOT_STORED} "${step}" (${stream} from byte ${offset}): the server's data directory has less than ${OUTPUT_STORE_RESERVE / 1024 / 1024} MiB free, the room kept for its database. The invocation is Failed because its output is incomplete; free space on the server for output to be stored again.`;

/** The step named by a TraceOutput that says output was not stored, or undefined. */
export function stepWithoutOutput(traceOutput: string): string | undefined {
  if (!traceOutput.startsWith(OUTPUT_NOT_STORED)) return undefined;
  return /^[^"]*"([^"]*)"/.exec(traceOutput)?.[1];
}
