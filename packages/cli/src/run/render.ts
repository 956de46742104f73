import { StringDecoder } from 'node:string_decoder';
import { FINAL_STATUSES, FINAL_STEP_STATUSES, type CommandSummary, type FollowInvocation, type FollowPiece } from './types.js';

export interface Sink {
  write(chunk: string | Uint8Array): unknown;
}

/** What `capstan run --follow` shows, as the command's answers come in. */
export interface Renderer {
  sent(command: CommandSummary): void;
  /** Every invocation of an answer, before any is shown: the nodes' names, for their labels. */
  learn(invs: readonly FollowInvocation[]): void;
  invocation(inv: FollowInvocation): void;
  output(piece: FollowPiece): void;
  done(command: CommandSummary, durations: ReadonlyMap<string, number>): void;
  /** True only if there was at least one invocation and every one ended in Success. */
  allSucceeded(): boolean;
}

interface NodeState {
  id: string;
  name: string;
  label: string;
  /** Once shown, a node's label stays as it is. */
  fixed: boolean;
  status: string;
  details: string;
  code: number;
  shown: string;
}

/** Node states as the answers report them; shared by both renderers. */
class Nodes {
  readonly byId = new Map<string, NodeState>();

  learn(invs: readonly FollowInvocation[]): void {
    let added = false;
    for (const inv of invs) {
      if (this.byId.has(inv.InstanceId)) continue;
      this.byId.set(inv.InstanceId, { id: inv.InstanceId, name: inv.InstanceName ?? '', label: inv.InstanceId, fixed: false, status: '', details: '', code: -1, shown: '' });
      added = true;
    }
    if (added) this.relabel();
  }

  /** Records an invocation's state; returns the node, and whether its status line changed. */
  update(inv: FollowInvocation): { node: NodeState; changed: boolean } {
    this.learn([inv]);
    const node = this.byId.get(inv.InstanceId)!;
    node.status = inv.Status;
    node.details = inv.StatusDetails;
    node.code = inv.ResponseCode;
    const text = statusText(node);
    const changed = text !== node.shown;
    node.shown = text;
    return { node, changed };
  }

  /**
   * A node goes by its name when the name is known and no other node has it, else by its id.
   * Labels already shown do not change (a node that shows up later with a name taken goes by id).
   */
  private relabel(): void {
    const count = new Map<string, number>();
    for (const n of this.byId.values()) if (n.name) count.set(n.name, (count.get(n.name) ?? 0) + 1);
    const taken = new Set([...this.byId.values()].filter((n) => n.fixed).map((n) => n.label));
    for (const n of this.byId.values()) {
      if (!n.fixed) n.label = n.name && count.get(n.name) === 1 && !taken.has(n.name) ? n.name : n.id;
    }
  }

  /** The label to show for a node, fixed from now on. */
  label(id: string): string {
    const n = this.byId.get(id);
    if (!n) return id;
    n.fixed = true;
    return n.label;
  }

  get width(): number {
    let w = 0;
    for (const n of this.byId.values()) w = Math.max(w, n.label.length);
    return w;
  }

  allSucceeded(): boolean {
    return this.byId.size > 0 && [...this.byId.values()].every((n) => n.status === 'Success');
  }
}

const DETAILS_SAME: Record<string, string> = { Cancelled: 'Canceled' };

function statusText(n: Pick<NodeState, 'status' | 'details' | 'code'>): string {
  let text = n.status;
  if (FINAL_STATUSES.has(n.status) && n.code >= 0) text += ` (${n.code})`;
  if (n.details && n.details !== n.status && DETAILS_SAME[n.status] !== n.details) text += ` [${n.details}]`;
  return text;
}

const ESC = {
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  reset: '\x1b[0m',
};

const NEWLINE = 0x0a;
/** A line longer than this is shown in parts rather than held back indefinitely. */
const MAX_HELD = 64 * 1024;

interface StreamState {
  /** Bytes of a line whose newline has not arrived yet. */
  held: Buffer;
  /** How far into the stream the pieces seen reach. */
  received: number;
  /** The stream's length, once its step is over. */
  total?: number;
}

/** Where in `buf` (at most `end`) a cut leaves no UTF-8 character in halves. */
export function utf8Cut(buf: Buffer, end: number): number {
  let i = Math.min(end, buf.length);
  if (i === buf.length) return i;
  // Back over continuation bytes (10xxxxxx) to the start of the character that spans the cut.
  let back = 0;
  while (i > 0 && back < 3 && (buf[i]! & 0xc0) === 0x80) i--, back++;
  return i > 0 ? i : end;
}

export interface TextOptions {
  /** Prefix every line with its node; when false, nodes' stdout and stderr go to ours as they are. */
  prefix: boolean;
  color: boolean;
  out: Sink;
  err: Sink;
}

/**
 * Lines of every node, each prefixed with the node (`mi-…| ` for stdout, `mi-…! ` for stderr),
 * a line for each change of a node's status, and a summary at the end. Output is handled as
 * bytes: a line is written whole once its newline arrives (so a UTF-8 character split between
 * pieces is never cut, and bytes that are not UTF-8 pass unchanged), and a last line without
 * one when its stream is known to be complete. With `prefix` off, stdout holds exactly what
 * the nodes wrote to stdout, and everything else goes to stderr.
 */
export class TextRenderer implements Renderer {
  private readonly nodes = new Nodes();
  private readonly streams = new Map<string, StreamState>();
  /** Where status lines and the summary go: with the output, or out of its way. */
  private readonly info: Sink;

  constructor(private readonly o: TextOptions) {
    this.info = o.prefix ? o.out : o.err;
  }

  private paint(color: keyof typeof ESC, text: string): string {
    return this.o.color ? `${ESC[color]}${text}${ESC.reset}` : text;
  }

  sent(c: CommandSummary): void {
    this.info.write(`${this.paint('dim', `Command ${c.CommandId}${c.DocumentName ? ` (${c.DocumentName})` : ''} sent to ${c.TargetCount} node${c.TargetCount === 1 ? '' : 's'}`)}\n`);
  }

  learn(invs: readonly FollowInvocation[]): void {
    this.nodes.learn(invs);
  }

  invocation(inv: FollowInvocation): void {
    const { node, changed } = this.nodes.update(inv);
    for (const s of inv.Steps ?? []) {
      if (!FINAL_STEP_STATUSES.has(s.Status)) continue;
      this.streamEnds(inv.InstanceId, s.Name, 'stdout', s.StdoutBytes);
      this.streamEnds(inv.InstanceId, s.Name, 'stderr', s.StderrBytes);
    }
    if (!changed) return;
    const color = node.status === 'Success' ? 'green' : node.status === 'Failed' || node.status === 'TimedOut' ? 'red' : node.status === 'Cancelled' || node.status === 'Cancelling' ? 'yellow' : 'dim';
    this.info.write(`${this.nodes.label(node.id).padEnd(this.nodes.width)} ${this.paint(color, node.shown)}\n`);
  }

  private stream(instanceId: string, step: string, stream: string): StreamState {
    const key = `${instanceId}\0${step}\0${stream}`;
    let s = this.streams.get(key);
    if (!s) this.streams.set(key, (s = { held: Buffer.alloc(0), received: 0 }));
    return s;
  }

  private streamEnds(instanceId: string, step: string, stream: 'stdout' | 'stderr', total: number): void {
    const s = this.stream(instanceId, step, stream);
    s.total = total;
    if (s.received >= total) this.release(instanceId, stream, s);
  }

  output(p: FollowPiece): void {
    const s = this.stream(p.InstanceId, p.PluginName, p.Stream);
    let data = Buffer.from(p.Data, 'base64');
    if (p.Offset + data.length <= s.received) return; // seen already
    if (p.Offset < s.received) data = data.subarray(s.received - p.Offset);
    s.received = p.Offset + data.length;
    let buf = s.held.length ? Buffer.concat([s.held, data]) : data;
    const last = buf.lastIndexOf(NEWLINE);
    if (last >= 0) {
      this.lines(p.InstanceId, p.Stream, buf.subarray(0, last + 1));
      buf = buf.subarray(last + 1);
    }
    while (buf.length > MAX_HELD) {
      const cut = utf8Cut(buf, MAX_HELD);
      this.lines(p.InstanceId, p.Stream, buf.subarray(0, cut));
      buf = buf.subarray(cut);
    }
    s.held = Buffer.from(buf);
    if (s.total !== undefined && s.received >= s.total) this.release(p.InstanceId, p.Stream, s);
  }

  /** Writes the line the stream ended without a newline. */
  private release(instanceId: string, stream: 'stdout' | 'stderr', s: StreamState): void {
    if (!s.held.length) return;
    this.lines(instanceId, stream, s.held);
    s.held = Buffer.alloc(0);
  }

  /** Lines of a node's stream; the last may lack its newline (one is added when prefixing). */
  private lines(instanceId: string, stream: 'stdout' | 'stderr', bytes: Buffer): void {
    if (!this.o.prefix) {
      (stream === 'stdout' ? this.o.out : this.o.err).write(bytes);
      return;
    }
    const label = this.nodes.label(instanceId).padEnd(this.nodes.width);
    const prefix = Buffer.from(`${label}${stream === 'stdout' ? '|' : '!'} `);
    const [open, close] = stream === 'stderr' && this.o.color ? [Buffer.from(ESC.red), Buffer.from(ESC.reset)] : [undefined, undefined];
    const parts: Buffer[] = [];
    let at = 0;
    while (at < bytes.length) {
      const nl = bytes.indexOf(NEWLINE, at);
      const end = nl < 0 ? bytes.length : nl;
      parts.push(prefix);
      if (open) parts.push(open, bytes.subarray(at, end), close!);
      else parts.push(bytes.subarray(at, end));
      parts.push(Buffer.from('\n'));
      at = end + 1;
    }
    if (!parts.length) return;
    this.o.out.write(Buffer.concat(parts));
  }

  private releaseAll(): void {
    for (const [key, s] of this.streams) {
      const [instanceId, , stream] = key.split('\0') as [string, string, 'stdout' | 'stderr'];
      this.release(instanceId, stream, s);
    }
  }

  done(c: CommandSummary, durations: ReadonlyMap<string, number>): void {
    this.releaseAll();
    const nodes = [...this.nodes.byId.values()].sort((a, b) => a.label.localeCompare(b.label));
    const named = nodes.some((n) => n.name);
    const rows = [['NODE', ...(named ? ['NAME'] : []), 'STATUS', 'CODE', 'DURATION']];
    for (const n of nodes) {
      const ms = durations.get(n.id);
      rows.push([n.id, ...(named ? [n.name || '-'] : []), n.details && n.details !== n.status && DETAILS_SAME[n.status] !== n.details ? `${n.status} [${n.details}]` : n.status, n.code >= 0 ? String(n.code) : '-', ms === undefined ? '-' : duration(ms)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    const statusCol = named ? 2 : 1;
    const out: string[] = [''];
    rows.forEach((r, k) => {
      let line = r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ');
      if (k === 0) line = this.paint('bold', line);
      else if (this.o.color) {
        const st = nodes[k - 1]!.status;
        const color = st === 'Success' ? 'green' : st === 'Cancelled' ? 'yellow' : 'red';
        const cells = r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)));
        cells[statusCol] = this.paint(color, cells[statusCol]!);
        line = cells.join('  ');
      }
      out.push(line);
    });
    if (!nodes.length) out.push('(no nodes)');
    const ok = nodes.filter((n) => n.status === 'Success').length;
    const totals = [`${c.TargetCount} target${c.TargetCount === 1 ? '' : 's'}`, `${c.CompletedCount} completed`, `${ok} succeeded`, `${c.ErrorCount} error${c.ErrorCount === 1 ? '' : 's'}`];
    if (c.DeliveryTimedOutCount) totals.push(`${c.DeliveryTimedOutCount} delivery timed out`);
    const status = `${c.Status}${c.StatusDetails && c.StatusDetails !== c.Status && DETAILS_SAME[c.Status] !== c.StatusDetails ? ` [${c.StatusDetails}]` : ''}`;
    out.push(`Command ${c.CommandId} ${this.paint(c.Status === 'Success' ? 'green' : c.Status === 'Cancelled' ? 'yellow' : 'red', status)}: ${totals.join(', ')}`);
    this.info.write(`${out.join('\n')}\n`);
  }

  allSucceeded(): boolean {
    return this.nodes.allSucceeded();
  }
}

export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * JSON lines for programs: `Sent`, `Status` (a node's status changed), `Output` (a piece of a
 * stream: `Data` is the bytes in base64, `Text` the same decoded as UTF-8, a character split
 * between pieces given whole with the later one) and `Done` with every node's outcome.
 */
export class JsonRenderer implements Renderer {
  private readonly nodes = new Nodes();
  private readonly decoders = new Map<string, { decoder: StringDecoder; received: number }>();

  constructor(private readonly out: Sink) {}

  private emit(event: object): void {
    this.out.write(`${JSON.stringify(event)}\n`);
  }

  sent(command: CommandSummary): void {
    this.emit({ Event: 'Sent', Command: command });
  }

  learn(invs: readonly FollowInvocation[]): void {
    this.nodes.learn(invs);
  }

  invocation(inv: FollowInvocation): void {
    const { changed } = this.nodes.update(inv);
    if (changed) this.emit({ Event: 'Status', InstanceId: inv.InstanceId, InstanceName: inv.InstanceName, Status: inv.Status, StatusDetails: inv.StatusDetails, ResponseCode: inv.ResponseCode });
  }

  output(p: FollowPiece): void {
    const key = `${p.InstanceId}\0${p.PluginName}\0${p.Stream}`;
    let d = this.decoders.get(key);
    if (!d) this.decoders.set(key, (d = { decoder: new StringDecoder('utf8'), received: 0 }));
    let data = Buffer.from(p.Data, 'base64');
    if (p.Offset + data.length <= d.received) return;
    let offset = p.Offset;
    if (offset < d.received) (data = data.subarray(d.received - offset)), (offset = d.received);
    d.received = offset + data.length;
    this.emit({ Event: 'Output', InstanceId: p.InstanceId, PluginName: p.PluginName, Stream: p.Stream, Offset: offset, Data: data.toString('base64'), Text: d.decoder.write(data) });
  }

  done(command: CommandSummary, durations: ReadonlyMap<string, number>): void {
    const invocations = [...this.nodes.byId.values()].map((n) => ({
      InstanceId: n.id,
      InstanceName: n.name,
      Status: n.status,
      StatusDetails: n.details,
      ResponseCode: n.code,
      ...(durations.has(n.id) ? { DurationSeconds: durations.get(n.id)! / 1000 } : {}),
    }));
    this.emit({ Event: 'Done', Command: command, Invocations: invocations });
  }

  allSucceeded(): boolean {
    return this.nodes.allSucceeded();
  }
}
