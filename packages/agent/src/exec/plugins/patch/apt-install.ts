import { capture, tail, type Captured } from './command.js';

/** How long apt waits for another apt or dpkg (unattended-upgrades, say) to let go of its locks. */
export const LOCK_WAIT_SECONDS = 300;

export interface InstallRequest {
  name: string;
  arch: string;
  version: string;
}

export interface InstallOutcome {
  /** Requests left out, with why (a blocked dependency, apt cannot resolve it). */
  refused: Map<string, string>;
  /** `name:arch` → version of every package apt installed or upgraded (dependencies too). */
  changed: Map<string, string>;
  /** apt-get's output, for the step's log. */
  log: string;
  /** Set when apt-get install itself failed. */
  error?: string;
}

/** Non-interactive, and a changed configuration file keeps the node's own copy. */
// No pty for dpkg: apt would put it in a session of its own, out of reach of a cancel.
const APT_OPTIONS = ['-y', '-q', '-o', 'Dpkg::Use-Pty=0', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold', '-o', 'APT::Get::Show-Versions=false', '-o', `DPkg::Lock::Timeout=${LOCK_WAIT_SECONDS}`];

function spec(r: InstallRequest, native: string): string {
  return r.arch === 'all' || r.arch === native ? `${r.name}=${r.version}` : `${r.name}:${r.arch}=${r.version}`;
}

/** `Inst name[:arch] [old] (new suite [arch])` lines of a simulation. */
function simulated(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const x = /^Inst (\S+)(?: \[[^\]]*\])? \((\S+) [^[]*\[([^\]]+)\]/.exec(line);
    if (!x) continue;
    const [name, arch] = x[1]!.includes(':') ? x[1]!.split(':') : [x[1]!, x[3]!];
    m.set(`${name}:${arch}`, x[2]!);
  }
  return m;
}

/**
 * Upgrades exactly the requested versions with apt-get. A simulation comes first: with
 * `blocked` set (RejectedPatchesAction BLOCK), a request whose upgrade would bring in a rejected
 * package is refused, and so is one apt cannot resolve, so the others still go in.
 */
export async function aptInstall(
  requests: InstallRequest[],
  opts: { env: Record<string, string>; signal: AbortSignal; native: string; blocked?: (name: string) => boolean },
): Promise<InstallOutcome> {
  const refused = new Map<string, string>();
  const env = { ...opts.env, DEBIAN_FRONTEND: 'noninteractive', APT_LISTCHANGES_FRONTEND: 'none', NEEDRESTART_MODE: 'l' };
  const simulate = (rs: InstallRequest[]): Promise<Captured> => capture('apt-get', ['-s', ...APT_OPTIONS, 'install', '--only-upgrade', ...rs.map((r) => spec(r, opts.native))], env, opts.signal);
  const problem = (sim: Captured): string | undefined => {
    if (sim.code !== 0) return `apt cannot install it: ${tail(sim.stderr || sim.stdout, 3)}`;
    const bad = [...simulated(sim.stdout).keys()].map((k) => k.slice(0, k.lastIndexOf(':'))).filter((n) => opts.blocked?.(n));
    return bad.length ? `it needs ${bad.join(', ')}, which the baseline rejects` : undefined;
  };

  let todo = [...requests];
  let plan: Map<string, string> = new Map();
  while (todo.length) {
    const sim = await simulate(todo);
    if (!problem(sim)) {
      plan = simulated(sim.stdout);
      break;
    }
    // Something in the set is at fault: judge each request alone.
    const keep: InstallRequest[] = [];
    for (const r of todo) {
      const why = problem(await simulate([r]));
      if (why) refused.set(`${r.name}:${r.arch}`, why);
      else keep.push(r);
    }
    // Each works alone but not together: give up on the set rather than loop.
    if (keep.length === todo.length) {
      for (const r of todo) refused.set(`${r.name}:${r.arch}`, `apt cannot install it with the other updates: ${tail(sim.stderr || sim.stdout, 3)}`);
      todo = [];
    } else todo = keep;
  }
  if (!todo.length) return { refused, changed: new Map(), log: '' };

  const run = await capture('apt-get', [...APT_OPTIONS, 'install', '--only-upgrade', ...todo.map((r) => spec(r, opts.native))], env, opts.signal);
  const log = `${run.stdout}${run.stderr}`;
  return { refused, changed: plan, log, ...(run.code !== 0 ? { error: `apt-get install exited with ${run.code}: ${tail(run.stderr || run.stdout, 3)}` } : {}) };
}

/** dpkg's architecture, which apt leaves off a package spec. */
export async function nativeArch(env: Record<string, string>, signal: AbortSignal): Promise<string> {
  const r = await capture('apt-config', ['shell', 'ARCH', 'APT::Architecture'], env, signal);
  return /ARCH='([^']*)'/.exec(r.stdout)?.[1] || 'amd64';
}
