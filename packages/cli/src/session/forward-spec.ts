import type { OpenTarget } from '@capstan/wire/session';

/** One `--forward`: a local port and where its connections go from the node. */
export interface ForwardSpec {
  localPort: number;
  /** a host the node reaches; the node itself when absent */
  host?: string;
  port: number;
}

function portOf(what: string, v: string, min: number): number {
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(Number.isInteger(n) && n >= min && n <= 65535)) throw new Error(`${what} must be a port number ${min}–65535, not ${JSON.stringify(v)}`);
  return n;
}

/** `LOCAL:PORT`, `LOCAL:HOST:PORT` or `LOCAL:[IPV6]:PORT`. */
export function parseForward(spec: string): ForwardSpec {
  const m = /^(\d+):(?:(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):)?(\d+)$/.exec(spec.trim());
  if (!m) throw new Error(`--forward ${JSON.stringify(spec)}: expected LOCAL:PORT or LOCAL:HOST:PORT`);
  const f: ForwardSpec = { localPort: portOf(`--forward ${spec}: the local port`, m[1]!, 0), port: portOf(`--forward ${spec}: the port`, m[3]!, 1) };
  if (m[2]) f.host = m[2].replace(/^\[|\]$/g, '');
  return f;
}

export interface ForwardPlan {
  documentName: string;
  parameters: Record<string, string[]>;
  /** per forward, what its streams ask the node for (none: the session's one destination) */
  targets: (OpenTarget | undefined)[];
}

/**
 * The session for a set of forwards. One forward keeps AWS's documents (and the IAM policies
 * written for them); several use Capstan's multi-destination document, each stream naming its
 * destination, which the node checks against the session's list.
 */
export function forwardPlan(forwards: ForwardSpec[]): ForwardPlan {
  if (forwards.length === 0) throw new Error('nothing to forward');
  const locals = forwards.map((f) => f.localPort).filter((p) => p !== 0);
  if (new Set(locals).size !== locals.length) throw new Error('each --forward needs its own local port');
  if (forwards.length === 1) {
    const f = forwards[0]!;
    const parameters: Record<string, string[]> = { portNumber: [String(f.port)], localPortNumber: [String(f.localPort)] };
    if (f.host) parameters['host'] = [f.host];
    return { documentName: f.host ? 'AWS-StartPortForwardingSessionToRemoteHost' : 'AWS-StartPortForwardingSession', parameters, targets: [undefined] };
  }
  const destination = (f: ForwardSpec) => (f.host ? `${f.host.includes(':') ? `[${f.host}]` : f.host}:${f.port}` : String(f.port));
  return {
    documentName: 'Capstan-StartMultiPortForwardingSession',
    parameters: { destinations: [...new Set(forwards.map(destination))] },
    targets: forwards.map((f) => ({ host: f.host ?? 'localhost', port: f.port })),
  };
}

/** `500ms`, `20s`, `2m`, or seconds as a bare number; at least 1 second. */
export function parseDuration(what: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1_000) : NaN;
  if (!(ms >= 1_000 && ms <= 3_600_000)) throw new Error(`${what} must be a duration from 1s to 60m (e.g. 20s), not ${JSON.stringify(v)}`);
  return Math.round(ms);
}
