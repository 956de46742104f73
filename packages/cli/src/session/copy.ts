import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { FileRequest, MuxStream } from '@capstan/wire/session';
import type { ClientChannel } from './channel.js';
import { PortMux } from './port-forward.js';

/** A `node:path` argument of `capstan cp`. */
const REMOTE = /^((?:mi|i)-[0-9a-f]{8,}):(.+)$/;

export interface CopyPlan {
  op: 'get' | 'put';
  target: string;
  remote: string;
  local: string;
}

/** Which side is the node: exactly one of source and destination is `NODE:PATH`. */
export function planCopy(source: string, destination: string): CopyPlan {
  const s = REMOTE.exec(source);
  const d = REMOTE.exec(destination);
  if (s && d) throw new Error('copy between two nodes is not supported: one side must be a local path');
  if (!s && !d) throw new Error('one side must be on a node, written mi-…:PATH');
  if (s) return { op: 'get', target: s[1]!, remote: s[2]!, local: destination };
  return { op: 'put', target: d![1]!, remote: d![2]!, local: source };
}

export interface CopyResult {
  /** where the file was written (on the node for put) */
  path: string;
  bytes: number;
}

/** Copies one file over a CapstanFileCopy session; rejects with the node's message on failure. */
export function copyFile(channel: ClientChannel, plan: CopyPlan, mux = new PortMux(channel)): Promise<CopyResult> {
  return plan.op === 'get' ? getFile(channel, mux, plan) : putFile(channel, mux, plan);
}

/** The first line of a file stream's answer (JSON), then the rest. */
function splitHeader(onHeader: (h: Record<string, unknown>) => void, onBody: (b: Buffer) => void): (d: Buffer) => void {
  let head: Buffer | undefined = Buffer.alloc(0);
  return (d) => {
    if (!head) return onBody(d);
    const all = Buffer.concat([head, d]);
    const nl = all.indexOf(0x0a);
    if (nl < 0) {
      head = all;
      return;
    }
    head = undefined;
    onHeader(JSON.parse(all.subarray(0, nl).toString('utf8')) as Record<string, unknown>);
    if (nl + 1 < all.length) onBody(all.subarray(nl + 1));
  };
}

/** Rejects when the session ends before the copy does. */
function guard<T>(channel: ClientChannel, work: (fail: (e: Error) => void) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      reject(e);
    };
    void channel.ended$.then((end) => fail(new Error(`the session ended during the copy: ${end.reason}`)));
    work(fail).then(
      (v) => {
        if (!settled) (settled = true), resolve(v);
      },
      (e: Error) => fail(e),
    );
  });
}

function open(mux: PortMux, file: FileRequest): MuxStream {
  return mux.mux.open({ file });
}

async function getFile(channel: ClientChannel, pm: PortMux, plan: CopyPlan): Promise<CopyResult> {
  let dest = plan.local;
  const st = statSync(dest, { throwIfNoEntry: false });
  if (st?.isDirectory() || dest.endsWith('/')) dest = join(dest, basename(plan.remote));
  if (statSync(dest, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dest} is a directory`);
  const dir = dirname(dest);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${dir}: no such directory`);
  // written beside the destination and renamed into place, so a failed copy leaves nothing behind
  const tmp = join(dir, `.${basename(dest)}.capstan-${randomBytes(4).toString('hex')}`);
  // a deep buffer: the mux holds the stream's credit while the file lags, and small writes cost a thread-pool trip each
  const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600, highWaterMark: 1024 * 1024 });
  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    out.destroy();
    void fsp.rm(tmp, { force: true });
  };
  try {
    return await guard(channel, (fail) =>
      new Promise<CopyResult>((resolve) => {
        const stream = open(pm, { op: 'get', path: plan.remote });
        let mode = 0o644;
        let bytes = 0;
        out.on('error', (e) => (stream.reset(e.message), fail(new Error(`cannot write ${dest}: ${e.message}`))));
        out.on('drain', () => stream.resume());
        stream.onReset = (reason) => fail(new Error(reason || 'the node reset the copy'));
        stream.onData = splitHeader(
          (h) => {
            // permission bits only: a copy does not make set-id programs
            if (typeof h['mode'] === 'number') mode = h['mode'] & 0o777;
          },
          (b) => {
            bytes += b.length;
            if (!out.write(b)) stream.pause();
          },
        );
        stream.onEnd = () => {
          out.end(async () => {
            try {
              const fh = await fsp.open(tmp, 'r+');
              await fh.sync();
              await fh.close();
              await fsp.chmod(tmp, mode);
              await fsp.rename(tmp, dest);
              cleaned = true;
              resolve({ path: dest, bytes });
            } catch (e) {
              fail(e as Error);
            }
          });
        };
        stream.end();
      }),
    );
  } finally {
    cleanup();
  }
}

async function putFile(channel: ClientChannel, pm: PortMux, plan: CopyPlan): Promise<CopyResult> {
  const st = statSync(plan.local, { throwIfNoEntry: false });
  if (!st) throw new Error(`${plan.local}: no such file or directory`);
  if (st.isDirectory()) throw new Error(`${plan.local} is a directory: only files can be copied`);
  if (!st.isFile()) throw new Error(`${plan.local} is not a regular file`);
  // open before the stream: an unreadable file fails here, before anything reaches the node
  const fh = await fsp.open(plan.local, 'r');
  const input = fh.createReadStream({ highWaterMark: 256 * 1024 });
  try {
    return await guard(channel, (fail) =>
      new Promise<CopyResult>((resolve) => {
        const stream = open(pm, { op: 'put', path: plan.remote, mode: st.mode & 0o7777, name: basename(plan.local) });
        let answer: Record<string, unknown> = {};
        stream.onReset = (reason) => fail(new Error(reason || 'the node reset the copy'));
        stream.onData = splitHeader(
          (h) => (answer = h),
          () => undefined,
        );
        stream.onEnd = () => resolve({ path: typeof answer['path'] === 'string' ? answer['path'] : plan.remote, bytes: Number(answer['bytes'] ?? 0) });
        stream.onDrain = () => input.resume();
        input.on('data', (d: Buffer | string) => {
          if (stream.closed) return;
          if (!stream.write(typeof d === 'string' ? Buffer.from(d) : d)) input.pause();
        });
        input.on('end', () => {
          if (!stream.closed) stream.end();
        });
        input.on('error', (e) => (stream.reset(e.message), fail(new Error(`cannot read ${plan.local}: ${e.message}`))));
      }),
    );
  } finally {
    input.destroy();
  }
}
