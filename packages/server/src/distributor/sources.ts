import { AwsError } from '../protocol/errors.js';

/**
 * Which URLs the server may fetch a package file from. Fetching is something the server does
 * from inside its own network, so it is off unless the operator lists URL prefixes
 * (CAPSTAN_PACKAGE_SOURCE_URLS, comma-separated, e.g. `https://artifacts.example.com/packages/`):
 * a document's author could otherwise make the server read internal addresses for them.
 */
export interface SourcePolicy {
  prefixes: string[];
  maxBytes: number;
  timeoutMs: number;
}

export const MAX_PACKAGE_FILE_BYTES = 256 * 1024 * 1024;

export function sourcePolicyFromEnv(env: NodeJS.ProcessEnv = process.env): SourcePolicy {
  const prefixes = (env.CAPSTAN_PACKAGE_SOURCE_URLS ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => /^https?:\/\/[^/]+\//.test(p));
  return { prefixes, maxBytes: MAX_PACKAGE_FILE_BYTES, timeoutMs: 120_000 };
}

const refused = (message: string) => new AwsError('ValidationException', message, { messageMember: 'Message' });
const unreachable = (message: string) => new AwsError('InvalidDocumentContent', message, { messageMember: 'Message' });

/** The file at `url`, if the policy allows it; redirects are not followed (they could leave the allowed prefixes). */
export async function fetchSource(policy: SourcePolicy, url: string): Promise<Buffer> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw refused(`${url} is not a URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw refused(`${url}: package files are fetched over https:// or http:// only; upload the file instead`);
  // Compared on the normalised form, so `..` or an encoded host cannot step outside a prefix.
  if (!policy.prefixes.some((p) => parsed.href.startsWith(p))) {
    throw refused(`${url} is not under a URL this server fetches package files from (CAPSTAN_PACKAGE_SOURCE_URLS); upload the file instead (capstan package create)`);
  }
  let res: Response;
  try {
    res = await fetch(parsed, { redirect: 'manual', signal: AbortSignal.timeout(policy.timeoutMs) });
  } catch (e) {
    throw unreachable(`${url} could not be fetched: ${(e as Error).message}`);
  }
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel();
    throw unreachable(`${url} answered ${res.status} ${res.statusText}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > policy.maxBytes) throw refused(`${url} is larger than ${policy.maxBytes} bytes, the most a package file may be`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
