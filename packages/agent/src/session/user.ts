import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { SessionRefused } from './types.js';

export interface RunAs {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** true when the process must switch to this user (the agent runs as someone else) */
  switchUser: boolean;
}

const USER_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;

function idOf(flag: '-u' | '-g', user: string): number {
  try {
    return Number(execFileSync('id', [flag, '--', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim());
  } catch {
    throw new SessionRefused(`run-as user ${user} does not exist on this node`);
  }
}

function homeOf(user: string): string {
  try {
    const line = execFileSync('getent', ['passwd', user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const home = line.split(':')[5];
    if (home) return home;
  } catch {
    // no getent: the usual place
  }
  return `/home/${user}`;
}

/**
 * Who runs a session's process. With a run-as user (as AWS: it must exist, root is not allowed,
 * and the agent must be root to switch); without one, the agent's own user.
 */
export function resolveRunAs(runAsUser: string | undefined): RunAs {
  const me = process.getuid?.() ?? -1;
  if (runAsUser === undefined || runAsUser === '') {
    const u = userInfo();
    return { name: u.username, uid: u.uid, gid: u.gid, home: u.homedir, switchUser: false };
  }
  if (!USER_NAME.test(runAsUser)) throw new SessionRefused(`run-as user ${JSON.stringify(runAsUser)} is not a valid user name`);
  if (runAsUser === 'root') throw new SessionRefused('root is not allowed as the run-as user');
  const uid = idOf('-u', runAsUser);
  const gid = idOf('-g', runAsUser);
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new SessionRefused(`cannot resolve the ids of run-as user ${runAsUser}`);
  if (uid === 0) throw new SessionRefused(`run-as user ${runAsUser} has uid 0, which is not allowed`);
  if (uid !== me && me !== 0) throw new SessionRefused(`the agent runs as uid ${me} and cannot start a session as ${runAsUser}: run it as root to use run-as`);
  return { name: runAsUser, uid, gid, home: homeOf(runAsUser), switchUser: uid !== me };
}

/**
 * The command line that runs `argv` as the user: setpriv switches uid, gid and the user's
 * supplementary groups (node-pty and child_process alone would keep root's groups).
 */
export function commandAs(user: RunAs, argv: string[]): { file: string; args: string[] } {
  if (!user.switchUser) return { file: argv[0]!, args: argv.slice(1) };
  return { file: 'setpriv', args: ['--reuid', String(user.uid), '--regid', String(user.gid), '--init-groups', '--', ...argv] };
}

export function sessionEnv(user: RunAs, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env['HOME'] = user.home;
  env['USER'] = user.name;
  env['LOGNAME'] = user.name;
  env['LANG'] ??= 'C.UTF-8';
  return { ...env, ...extra };
}

export function workingDir(user: RunAs): string {
  return existsSync(user.home) ? user.home : '/';
}
