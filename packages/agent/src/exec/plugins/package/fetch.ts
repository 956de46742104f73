import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { unzip } from './unzip.js';

export class PackageFailure extends Error {}

const MAX_ARCHIVE_BYTES = 256 * 1024 * 1024;

/**
 * Fetches a package archive from the link the server put in the job and unpacks it into a new
 * directory under `under`, only once its SHA-256 is the manifest's: a changed archive is never
 * unpacked, let alone run.
 */
export async function fetchArchive(url: string, sha256: string, under: string, signal: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal, redirect: 'error' }).catch((e: Error) => {
    throw new PackageFailure(`could not download the package archive from the server: ${e.message}`);
  });
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw new PackageFailure(`the server answered ${res.status} ${res.statusText} for the package archive`);
  }
  const hash = createHash('sha256');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_ARCHIVE_BYTES) throw new PackageFailure(`the package archive is larger than ${MAX_ARCHIVE_BYTES} bytes`);
    hash.update(chunk);
    chunks.push(Buffer.from(chunk));
  }
  const actual = hash.digest('hex');
  if (actual !== sha256.toLowerCase()) {
    throw new PackageFailure(`checksum mismatch: the manifest gives sha256 ${sha256.toLowerCase()}, the downloaded archive has ${actual}; it was not unpacked and nothing was installed or removed`);
  }
  await mkdir(under, { recursive: true, mode: 0o700 });
  const dir = join(under, `.staging-${randomBytes(6).toString('hex')}`);
  try {
    await unzip(Buffer.concat(chunks), dir);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw new PackageFailure(`the package archive could not be unpacked: ${(e as Error).message}`);
  }
  return dir;
}
