import type { Renderer } from './render.js';
import type { SsmJsonCaller } from './signed.js';
import { FINAL_STATUSES, type CommandSummary, type FollowAnswer } from './types.js';

export interface FollowOptions {
  caller: Pick<SsmJsonCaller, 'call'>;
  renderer: Renderer;
  /** How long each poll may wait on the server for something to happen (the server allows up to 20). */
  waitSeconds?: number;
  /** Each invocation's run time in ms, where known; asked once the command is done. */
  durations?: () => Promise<Map<string, number>>;
}

/**
 * Follows a command to its end with CapstanFollowCommand: each answer carries what changed
 * since the cursor, and the next poll waits on the server until something does. Status lines
 * of nodes that are still running are shown before the output of the same answer, and those of
 * nodes that finished after it, so a node's output comes before its final status.
 */
export async function followCommand(commandId: string, o: FollowOptions): Promise<{ command: CommandSummary; allSucceeded: boolean }> {
  let cursor: string | undefined;
  for (;;) {
    const started = Date.now();
    const a = await o.caller.call<FollowAnswer>('CapstanFollowCommand', { CommandId: commandId, ...(cursor ? { Cursor: cursor } : {}), WaitSeconds: o.waitSeconds ?? 20 });
    const invocations = a.Invocations ?? [];
    const output = a.Output ?? [];
    o.renderer.learn(invocations);
    for (const inv of invocations) if (!FINAL_STATUSES.has(inv.Status)) o.renderer.invocation(inv);
    for (const p of output) o.renderer.output(p);
    for (const inv of invocations) if (FINAL_STATUSES.has(inv.Status)) o.renderer.invocation(inv);
    cursor = a.Cursor;
    if (a.Done) {
      const durations = o.durations ? await o.durations().catch(() => new Map<string, number>()) : new Map<string, number>();
      o.renderer.done(a.Command, durations);
      return { command: a.Command, allSucceeded: o.renderer.allSucceeded() };
    }
    // An answer with nothing in it that came back at once: do not spin.
    if (!invocations.length && !output.length && Date.now() - started < 200) await new Promise((r) => setTimeout(r, 250));
  }
}
