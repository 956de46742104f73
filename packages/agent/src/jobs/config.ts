import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentConfig {
  /** Documents running at once; the rest wait in order (AWS's CommandWorkersLimit). */
  maxConcurrentDocuments: number;
  /** Scripts run as this user instead of the agent's own (root on a real node). */
  runAsUser?: string;
  /** What exit code 194/3010 runs once the document's state is saved. */
  rebootCommand: string;
  /** Finished jobs are remembered this long, so a job re-sent late is still not run twice. */
  rememberDays: number;
  /** The node's key pair is replaced when it is this old (two-phase, without losing the identity). */
  keyRotationDays: number;
  /**
   * Ask the server to run this node's State Manager associations after every boot (not after a
   * mere restart of the agent). Off unless asked: an agent upgrade or a reboot should not run
   * work nobody scheduled.
   */
  applyAssociationsOnBoot: boolean;
}

const DEFAULTS: AgentConfig = { maxConcurrentDocuments: 5, rebootCommand: '/sbin/shutdown -r +1', rememberDays: 14, keyRotationDays: 30, applyAssociationsOnBoot: false };

/** `<state-dir>/config.json`, then CAPSTAN_AGENT_* variables over it. */
export function loadConfig(stateDir: string, env: NodeJS.ProcessEnv = process.env): AgentConfig {
  const path = join(stateDir, 'config.json');
  const file = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Partial<AgentConfig>) : {};
  const c: AgentConfig = { ...DEFAULTS, ...file };
  if (env.CAPSTAN_AGENT_MAX_DOCUMENTS) c.maxConcurrentDocuments = Number(env.CAPSTAN_AGENT_MAX_DOCUMENTS);
  if (env.CAPSTAN_AGENT_RUN_AS) c.runAsUser = env.CAPSTAN_AGENT_RUN_AS;
  if (env.CAPSTAN_AGENT_REBOOT_COMMAND) c.rebootCommand = env.CAPSTAN_AGENT_REBOOT_COMMAND;
  if (env.CAPSTAN_AGENT_KEY_ROTATION_DAYS) c.keyRotationDays = Number(env.CAPSTAN_AGENT_KEY_ROTATION_DAYS);
  if (env.CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT) c.applyAssociationsOnBoot = flag('CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT', env.CAPSTAN_AGENT_APPLY_ASSOCIATIONS_ON_BOOT);
  if (typeof c.applyAssociationsOnBoot !== 'boolean') throw new Error(`applyAssociationsOnBoot must be true or false, not ${JSON.stringify(c.applyAssociationsOnBoot)}`);
  if (!(c.keyRotationDays > 0)) throw new Error(`keyRotationDays must be a positive number of days, not ${c.keyRotationDays}`);
  if (!Number.isInteger(c.maxConcurrentDocuments) || c.maxConcurrentDocuments < 1) throw new Error(`maxConcurrentDocuments must be a whole number of at least 1, not ${c.maxConcurrentDocuments}`);
  return c;
}

/** A yes/no variable; anything else is refused rather than guessed, so a typo does not flip the setting. */
function flag(name: string, value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new Error(`${name} must be true or false, not ${JSON.stringify(value)}`);
}
