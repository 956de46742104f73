import type { Command, FollowResult } from '../../api/types';
import { base64ToBytes } from '../../lib/base64';

export interface OutputChunk {
  plugin: string;
  stream: string;
  text: string;
}

export interface NodeProgress {
  instanceId: string;
  instanceName?: string | undefined;
  status: string;
  statusDetails?: string | undefined;
  responseCode?: number | undefined;
  steps: NonNullable<FollowResult['Invocations'][number]['Steps']>;
  chunks: OutputChunk[];
  /** Characters held in `chunks`; past MAX_TEXT the oldest are dropped. */
  chars: number;
  trimmed: boolean;
}

/** What one node's pane keeps; a runaway `yes` must not take the tab down with it. */
const MAX_TEXT = 1_000_000;

/**
 * Folds CapstanFollowCommand answers into per-node status and output. Pieces carry their byte
 * offset in their stream, so a piece seen twice (a retried call) is not shown twice, and each
 * stream has its own streaming UTF-8 decoder so a character split across pieces comes out whole.
 */
export class CommandProgress {
  command: Command | undefined;
  readonly nodes = new Map<string, NodeProgress>();
  private received = new Map<string, number>();
  private decoders = new Map<string, TextDecoder>();

  node(id: string): NodeProgress {
    let n = this.nodes.get(id);
    if (!n) {
      n = { instanceId: id, status: 'Pending', steps: [], chunks: [], chars: 0, trimmed: false };
      this.nodes.set(id, n);
    }
    return n;
  }

  apply(r: FollowResult) {
    this.command = r.Command;
    for (const inv of r.Invocations ?? []) {
      const n = this.node(inv.InstanceId);
      n.instanceName = inv.InstanceName ?? n.instanceName;
      n.status = inv.Status;
      n.statusDetails = inv.StatusDetails;
      n.responseCode = inv.ResponseCode;
      n.steps = inv.Steps ?? n.steps;
    }
    for (const piece of r.Output ?? []) this.append(piece);
  }

  private append(p: FollowResult['Output'][number]) {
    const key = `${p.InstanceId}\u0000${p.PluginName}\u0000${p.Stream}`;
    const bytes = base64ToBytes(p.Data);
    const have = this.received.get(key) ?? 0;
    const end = p.Offset + bytes.length;
    if (end <= have) return;
    const fresh = p.Offset < have ? bytes.subarray(have - p.Offset) : bytes;
    this.received.set(key, end);
    let dec = this.decoders.get(key);
    if (!dec) {
      dec = new TextDecoder('utf-8');
      this.decoders.set(key, dec);
    }
    const text = dec.decode(fresh, { stream: true });
    if (!text) return;
    const n = this.node(p.InstanceId);
    const last = n.chunks[n.chunks.length - 1];
    if (last && last.plugin === p.PluginName && last.stream === p.Stream) last.text += text;
    else n.chunks.push({ plugin: p.PluginName, stream: p.Stream, text });
    n.chars += text.length;
    while (n.chars > MAX_TEXT && n.chunks.length) {
      const first = n.chunks[0]!;
      const over = n.chars - MAX_TEXT;
      if (first.text.length <= over) {
        n.chunks.shift();
        n.chars -= first.text.length;
      } else {
        first.text = first.text.slice(over);
        n.chars -= over;
      }
      n.trimmed = true;
    }
  }

  /** Nodes in a stable order: as the command listed its targets, then by id. */
  list(): NodeProgress[] {
    return [...this.nodes.values()].sort((a, b) => a.instanceId.localeCompare(b.instanceId));
  }
}

export const FINISHED = new Set(['Success', 'Failed', 'Cancelled', 'TimedOut']);
