import { STDERR_PREVIEW_CHARS, STDOUT_PREVIEW_CHARS } from '@capstan/wire';

/** The marker AWS ends a cut stdout/stderr with in GetCommandInvocation. */
export const TRUNCATED = '--output truncated--';
const OUTPUT_CHARS = 2500;

/** A preview as GetCommandInvocation shows it: at most `max` characters, the marker included, when the whole was longer. */
function cap(preview: string, wholeBytes: number, max: number): string {
  const whole = Buffer.byteLength(preview, 'utf8') >= wholeBytes && preview.length <= max;
  if (whole) return preview;
  return preview.slice(0, max - TRUNCATED.length) + TRUNCATED;
}

export const stdoutContent = (preview: string, bytes: number) => cap(preview, bytes, STDOUT_PREVIEW_CHARS);
export const stderrContent = (preview: string, bytes: number) => cap(preview, bytes, STDERR_PREVIEW_CHARS);

/**
 * The 2,500-character `Output` of ListCommandInvocations' CommandPlugins: stdout, then an error
 * banner and stderr; when too long each half is cut and marked, as AWS does.
 */
export function pluginOutput(stdout: string, stderr: string, stdoutWhole: boolean, stderrWhole: boolean): string {
  const banner = '\n----------ERROR-------\n';
  const joined = stderr ? `${stdout}${banner}${stderr}` : stdout;
  if (joined.length <= OUTPUT_CHARS && stdoutWhole && stderrWhole) return joined;
  if (!stderr) {
    const mark = '\n---Output truncated---';
    return stdout.slice(0, OUTPUT_CHARS - mark.length) + mark;
  }
  const half = OUTPUT_CHARS / 2;
  const outMark = '\n---Output truncated---';
  const errMark = '\n---Error truncated----';
  const out = stdout.length > half - outMark.length || !stdoutWhole ? stdout.slice(0, half - outMark.length) + outMark : stdout;
  const errRoom = OUTPUT_CHARS - out.length - banner.length;
  const err = stderr.length > errRoom || !stderrWhole ? stderr.slice(0, errRoom - errMark.length) + errMark : stderr;
  return `${out}${banner}${err}`;
}
