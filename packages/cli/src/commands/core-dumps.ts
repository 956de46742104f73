import { execFileSync } from 'node:child_process';

/**
 * The server's memory holds the root key, decrypted SecureStrings, session keys and access-key
 * secrets; a core dump would write them to disk. Node cannot set its own resource limits (no
 * setrlimit, no prctl), so the soft RLIMIT_CORE of this very process is set to 0 through
 * util-linux's `prlimit`. The kernel then writes no core file, and systemd-coredump and apport,
 * which the kernel hands crashes to when core_pattern is a pipe, honour the limit too.
 * CAPSTAN_ALLOW_CORE_DUMPS=1 keeps the limit the process was started with, for debugging a crash.
 */
export function disableCoreDumps(env: NodeJS.ProcessEnv = process.env): 'disabled' | 'allowed' | 'unavailable' {
  if (env.CAPSTAN_ALLOW_CORE_DUMPS === '1') return 'allowed';
  if (process.platform !== 'linux') return 'unavailable';
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), '--core=0:'], { stdio: 'ignore', timeout: 5_000 });
    return 'disabled';
  } catch {
    return 'unavailable';
  }
}
