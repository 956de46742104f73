/**
 * The AWS CLI and boto3 as the tests that drive Capstan from the shell run them: each a process of
 * its own, with the test's credentials and files of its own (nothing of the user's ~/.aws), run
 * without blocking this process's event loop, where the server answering them lives.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface AwsCli {
  /** How the test names it, with its version when it runs: `aws on PATH (aws-cli/1.45.11)`. */
  label: string;
  command: string;
  /** `aws-cli/2.9.19`. */
  version: string;
  major: number;
  /** Why it cannot be used here, or false. */
  skip: string | false;
}

function probeAws(label: string, command: string): AwsCli {
  const r = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const version = text.split(' ')[0] ?? '';
  const major = Number(/^aws-cli\/(\d+)\./.exec(version)?.[1] ?? 0);
  if (r.error) return { label, command, version, major, skip: `${label} is not available here (${r.error.message})` };
  if (r.status !== 0 || !major) return { label, command, version, major, skip: `${label} is not available here (\`${command} --version\` exited with ${r.status}: ${text})` };
  return { label: `${label} (${version})`, command, version, major, skip: false };
}

/**
 * Version 1 (the `aws` on PATH here, printing timestamps as epoch seconds) and version 2
 * (/usr/bin/aws, printing ISO 8601); where both are one installation, it is tried once.
 */
export function awsClis(): AwsCli[] {
  const candidates = [probeAws('aws on PATH', 'aws'), probeAws('/usr/bin/aws', '/usr/bin/aws')];
  return candidates.filter((c, i) => c.skip || !candidates.slice(0, i).some((d) => !d.skip && d.version === c.version));
}

/** boto3 through python3, labelled with its version, or why it cannot be used. */
export function botoProbe(): { label: string; skip: string | false } {
  const r = spawnSync('python3', ['-c', 'import boto3; print("boto3/" + boto3.__version__)'], { encoding: 'utf8', timeout: 30_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.error) return { label: 'boto3', skip: `boto3 is not available here (${r.error.message})` };
  if (r.status !== 0) return { label: 'boto3', skip: `boto3 is not available here (\`python3 -c "import boto3"\` exited with ${r.status}: ${text})` };
  return { label: `boto3 (${text.split(' ')[0]})`, skip: false };
}

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** A directory with the tools' own config and (empty) credentials files. */
export class ToolFiles {
  readonly dir: string;
  private readonly configFile: string;
  private readonly credentialsFile: string;
  constructor(prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.configFile = join(this.dir, 'config');
    this.credentialsFile = join(this.dir, 'credentials');
    writeFileSync(this.configFile, '[default]\nregion = us-east-1\noutput = json\n');
    writeFileSync(this.credentialsFile, '');
  }

  /** The environment of every tool: these credentials, nothing of the user's AWS setup, and `extra`. */
  env(credentials: { accessKeyId: string; secretAccessKey: string }, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AWS_')) env[k] = v;
    return {
      ...env,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: this.configFile,
      AWS_SHARED_CREDENTIALS_FILE: this.credentialsFile,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      ...extra,
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs a tool; its exit code (-1 when it could not run or was killed), stdout and stderr. */
export function runTool(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(command, args, { env, encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A timestamp as the tools print it: CLI version 1 in epoch seconds, version 2 (and boto3 via str) in ISO 8601. */
export function cliTime(v: unknown): number {
  const ms = typeof v === 'number' ? v * 1000 : typeof v === 'string' ? Date.parse(v) : NaN;
  assert.ok(Number.isFinite(ms), `not a timestamp: ${JSON.stringify(v)}`);
  return ms;
}
