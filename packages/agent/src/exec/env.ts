import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

let osRelease: { name?: string; version?: string } | undefined;

/** NAME and VERSION_ID of /etc/os-release, what AWS_SSM_PLATFORM_NAME/VERSION carry on Linux. */
function platform(): { name?: string; version?: string } {
  if (osRelease) return osRelease;
  osRelease = {};
  try {
    for (const line of readFileSync('/etc/os-release', 'utf8').split('\n')) {
      const m = /^(NAME|VERSION_ID)=(.*)$/.exec(line.trim());
      if (!m) continue;
      const value = m[2]!.replace(/^(["'])(.*)\1$/, '$2');
      if (m[1] === 'NAME') osRelease.name = value;
      else osRelease.version = value;
    }
  } catch {
    // Not Linux, or a minimal image: the two variables are left out.
  }
  return osRelease;
}

/** The agent's environment, then the request's, then the variables AWS sets for every script. */
export function baseEnvironment(extra: Record<string, string> | undefined, ids: { commandId: string; instanceId: string; region: string }): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  Object.assign(env, extra);
  env.SSM_COMMAND_ID = ids.commandId;
  env.AWS_SSM_INSTANCE_ID = ids.instanceId;
  env.AWS_SSM_REGION_NAME = ids.region;
  const p = platform();
  if (p.name) env.AWS_SSM_PLATFORM_NAME = p.name;
  if (p.version) env.AWS_SSM_PLATFORM_VERSION = p.version;
  return env;
}

const run = promisify(execFile);

/** uid and gid of a local user, as `id` reports them (works for NSS users, not only /etc/passwd). */
export async function lookupUser(user: string): Promise<{ uid: number; gid: number }> {
  try {
    const [u, g] = await Promise.all([run('id', ['-u', '--', user]), run('id', ['-g', '--', user])]);
    return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
  } catch {
    throw new Error(`cannot run as ${user}: no such user on this node`);
  }
}
