import type { CommandPayload } from '@capstan/wire';
import type { NewJob, NodeService } from '../nodes/index.js';
import type { AnyDb } from '../store/database.js';
import type { CommandRow } from './tables.js';

/**
 * What a capability adds to each node's job for documents it serves (Patch Manager: the node's
 * baseline snapshot for `aws:runPatchBaseline`). Capabilities register here at start, so Run
 * Command never imports them.
 */
export interface NodePayloadHook {
  /** Whether this payload's jobs get per-node additions from this hook (a pure look at the document). */
  applies(payload: CommandPayload): boolean;
  /**
   * At SendCommand, before anything is written: throws an AwsError to refuse the command (a bad
   * parameter), or returns the payload to store instead (what a parameter names, fetched once for
   * every node, e.g. a BaselineOverride kept in an S3 bucket).
   */
  prepare(payload: CommandPayload, accountId: string, region: string): void | CommandPayload | Promise<void | CommandPayload>;
  /** At dispatch, inside its transaction (`db`): the node's additions. */
  forNode(db: AnyDb, payload: CommandPayload, accountId: string, region: string, instanceId: string): Promise<Partial<CommandPayload>>;
}

export class NodePayloads {
  private readonly hooks: NodePayloadHook[] = [];

  constructor(private readonly nodes: NodeService) {}

  register(hook: NodePayloadHook): void {
    this.hooks.push(hook);
  }

  /** The payload the command stores, as its hooks prepared it; throws to refuse the command. */
  async prepare(payload: CommandPayload, accountId: string, region: string): Promise<CommandPayload> {
    let out = payload;
    for (const h of this.hooks) if (h.applies(out)) out = (await h.prepare(out, accountId, region)) ?? out;
    return out;
  }

  /**
   * The jobs for some of a command's nodes. Without additions they share the command's payload;
   * with them each node gets its own payload, stored beside the command's under
   * `<payload id>/<instance id>` so it goes when the command's does.
   */
  async jobs(db: AnyDb, cmd: CommandRow, ids: readonly string[]): Promise<NewJob[]> {
    const shared = ids.map((instanceId): NewJob => ({ instanceId, id: cmd.command_id, kind: 'command', payloadId: cmd.payload_id }));
    if (this.hooks.length === 0) return shared;
    const payload = (await this.nodes.jobs.read(db, cmd.payload_id)) as CommandPayload | undefined;
    const active = payload ? this.hooks.filter((h) => h.applies(payload)) : [];
    if (!payload || active.length === 0) return shared;
    const out: NewJob[] = [];
    for (const instanceId of ids) {
      let own: CommandPayload = payload;
      for (const h of active) own = { ...own, ...(await h.forNode(db, payload, cmd.account_id, cmd.region, instanceId)) };
      const payloadId = `${cmd.payload_id}/${instanceId}`;
      await this.nodes.jobs.savePayload(db, payloadId, own);
      out.push({ instanceId, id: cmd.command_id, kind: 'command', payloadId });
    }
    return out;
  }
}
