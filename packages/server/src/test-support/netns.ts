import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Why a test needing root (mounts, network namespaces) is skipped, or undefined when it can run. */
export function rootSkipReason(what: string): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  return `needs root: the test ${what} (CI runs as root)`;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] }).toString();

/**
 * A network namespace of the test's own, joined to this one by a veth pair on a /30 of its own:
 * a process started with `exec` reaches `hostAddress` (the host end) and nothing else, and
 * `cut()` takes the link down as a pulled cable would, without either side being told.
 */
export class NetNamespace {
  readonly name: string;
  /** The host end of the pair, in this namespace. */
  readonly hostVeth: string;
  readonly nsVeth: string;
  private removed = false;

  private constructor(
    readonly hostAddress: string,
    readonly nsAddress: string,
  ) {
    const id = randomBytes(3).toString('hex');
    this.name = `capstan-${id}`;
    this.hostVeth = `cap${id}h`;
    this.nsVeth = `cap${id}n`;
  }

  /**
   * `subnet` picks the /30 within 192.168.250.0/24 (0-63), so concurrent tests do not share
   * addresses; the addresses exist only on this pair.
   */
  static create(subnet: number): NetNamespace {
    const base = subnet * 4;
    const ns = new NetNamespace(`192.168.250.${base + 1}`, `192.168.250.${base + 2}`);
    try {
      ip('netns', 'add', ns.name);
      ip('link', 'add', ns.hostVeth, 'type', 'veth', 'peer', 'name', ns.nsVeth);
      ip('link', 'set', ns.nsVeth, 'netns', ns.name);
      ip('addr', 'add', `${ns.hostAddress}/30`, 'dev', ns.hostVeth);
      ip('link', 'set', ns.hostVeth, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'addr', 'add', `${ns.nsAddress}/30`, 'dev', ns.nsVeth);
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', ns.nsVeth, 'up');
      ip('netns', 'exec', ns.name, 'ip', 'link', 'set', 'lo', 'up');
    } catch (e) {
      ns.remove();
      throw e;
    }
    return ns;
  }

  /** The command line that runs `argv` inside the namespace. */
  exec(argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  /** Takes the host end down: nothing passes either way, and no connection is told. */
  cut(): void {
    ip('link', 'set', this.hostVeth, 'down');
  }

  restore(): void {
    ip('link', 'set', this.hostVeth, 'up');
  }

  /** Deletes the pair and the namespace; safe to call twice and after a failed create. */
  remove(): void {
    if (this.removed) return;
    this.removed = true;
    try {
      ip('link', 'del', this.hostVeth);
    } catch {
      // never created, or gone with the namespace
    }
    try {
      ip('netns', 'del', this.name);
    } catch {
      // never created
    }
  }
}
