import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { KILLED_EXIT_CODE, type Plugin, type PluginResult, type StepContext } from '../types.js';
import { isDirectory, objectInput, optionalString, timeoutSeconds, underDownloads } from './inputs.js';

class StepFailure extends Error {}

/**
 * Fetches a file (HTTP, S3 as a plain HTTPS URL, or a document sent with the command) into
 * `destinationPath`. `sourceInfo.sha256`, when given, must match before the file is kept: it is
 * written under a temporary name and renamed only after the check.
 */
export const downloadContent: Plugin = async (ctx) => {
  const timeout = timeoutSeconds(ctx.step.inputs.timeoutSeconds, ctx.step.timeoutSeconds);
  const timer = AbortSignal.timeout(timeout * 1000);
  const signal = AbortSignal.any([ctx.run.signal, timer]);
  try {
    const info = objectInput(ctx.step.inputs, 'sourceInfo');
    const type = (optionalString(ctx.step.inputs, 'sourceType') ?? '').toLowerCase();
    const expected = typeof info.sha256 === 'string' && info.sha256 ? info.sha256.toLowerCase() : undefined;
    let target: string;
    if (type === 'http' || type === 's3') {
      const url = urlOf(type, info);
      target = destination(ctx, basename(decodeURIComponent(url.pathname)) || 'download');
      await download(url, target, expected, signal);
    } else if (type === 'ssmdocument') {
      const { name, text, ext } = documentSource(ctx, info);
      target = destination(ctx, `${name}${ext}`);
      await keep(target, Buffer.from(text), expected);
    } else {
      const given = optionalString(ctx.step.inputs, 'sourceType');
      throw new StepFailure(given ? `sourceType ${given} is not supported by this agent (HTTP, S3, SSMDocument)` : 'input sourceType is required');
    }
    ctx.sink.note('stdout', `Content downloaded to ${target}`);
    return { status: 'Success', code: 0 };
  } catch (e) {
    if (ctx.run.signal.aborted) return { status: 'Cancelled', code: KILLED_EXIT_CODE, details: 'The command was cancelled during the download' };
    if (timer.aborted) return { status: 'TimedOut', code: KILLED_EXIT_CODE, details: `The download timed out after ${timeout} seconds` };
    const message = e instanceof StepFailure ? e.message : `download failed: ${(e as Error).message}`;
    ctx.sink.note('stderr', message);
    return { status: 'Failed', code: 1, details: message } satisfies PluginResult;
  }
};

function urlOf(type: 'http' | 's3', info: Record<string, unknown>): URL {
  const raw = type === 'http' ? info.url : info.path;
  if (typeof raw !== 'string' || !raw) throw new StepFailure(`sourceInfo.${type === 'http' ? 'url' : 'path'} is required`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new StepFailure(`${raw} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new StepFailure(`${raw}: only https:// and http:// URLs can be downloaded`);
  // AWS downloads plain http only when the document says so explicitly.
  const insecureAllowed = info.allowInsecureDownload === true || info.allowInsecureDownload === 'true';
  if (type === 'http' && url.protocol === 'http:' && !insecureAllowed) throw new StepFailure(`${raw} is not https: set sourceInfo.allowInsecureDownload to true to download it anyway`);
  return url;
}

function documentSource(ctx: StepContext, info: Record<string, unknown>): { name: string; text: string; ext: string } {
  const ref = info.name;
  if (typeof ref !== 'string' || !ref) throw new StepFailure('sourceInfo.name is required');
  const entry = ctx.run.payload.documents?.[ref];
  if (!entry) throw new StepFailure(`document ${ref} was not sent with the command`);
  // `name:version` and ARNs name the same file: the bare document name.
  const name = ref.split('/').pop()!.split(':')[0]!;
  const ext = entry.format === 'YAML' ? '.yaml' : entry.format === 'JSON' ? '.json' : '';
  const text = entry.text || (typeof entry.content === 'string' ? entry.content : JSON.stringify(entry.content, null, 2));
  return { name, text, ext };
}

/** A directory (existing, or written with a trailing slash) receives the file under its own name. */
function destination(ctx: StepContext, fileName: string): string {
  const given = optionalString(ctx.step.inputs, 'destinationPath');
  if (!given) return join(ctx.run.downloadsDir, fileName);
  const path = underDownloads(ctx.run.downloadsDir, given);
  return given.endsWith('/') || isDirectory(path) ? join(path, fileName) : path;
}

const partName = (target: string) => join(dirname(target), `.${basename(target)}.${randomBytes(4).toString('hex')}.part`);

async function download(url: URL, target: string, sha256: string | undefined, signal: AbortSignal): Promise<void> {
  const res = await fetch(url, { signal, redirect: 'follow' });
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new StepFailure(`${url.href} answered ${res.status} ${res.statusText}`);
  }
  await mkdir(dirname(target), { recursive: true });
  const part = partName(target);
  const hash = createHash('sha256');
  try {
    await pipeline(
      Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          yield chunk;
        }
      },
      createWriteStream(part),
      { signal },
    );
    verify(hash.digest('hex'), sha256);
    await rename(part, target);
  } finally {
    await rm(part, { force: true });
  }
}

async function keep(target: string, data: Buffer, sha256: string | undefined): Promise<void> {
  verify(createHash('sha256').update(data).digest('hex'), sha256);
  await mkdir(dirname(target), { recursive: true });
  const part = partName(target);
  try {
    await writeFile(part, data);
    await rename(part, target);
  } finally {
    await rm(part, { force: true });
  }
}

function verify(actual: string, expected: string | undefined): void {
  if (expected !== undefined && actual !== expected) throw new StepFailure(`sha256 mismatch: expected ${expected}, downloaded content has ${actual}; the file was not kept`);
}
