import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Checksum, SourceData } from '@smithy/types';

/** node:crypto behind the Checksum interface the Smithy signer wants. */
class NodeSha256 implements Checksum {
  private readonly h: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.h = secret ? createHmac('sha256', toBuffer(secret)) : createHash('sha256');
  }
  update(data: Uint8Array): void {
    this.h.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return this.h.digest();
  }
  reset(): void {}
}

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data as ArrayBuffer);
}

export interface RawCall {
  endpoint: string;
  service: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  headers?: Record<string, string>;
  body?: string;
  method?: string;
  path?: string;
  signingDate?: Date;
  /** Runs on the signed request before it is sent: the place to tamper. */
  tamper?: (req: { headers: Record<string, string>; body: string; path: string }) => void;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): Record<string, unknown>;
}

/** The headers of a SigV4-signed request, `host` included. */
export async function signedHeaders(call: RawCall): Promise<Record<string, string>> {
  const url = new URL(call.endpoint);
  const body = call.body ?? '';
  const path = call.path ?? '/';
  const headers: Record<string, string> = { host: url.host, ...call.headers };
  if (!call.credentials) return headers;
  const signer = new SignatureV4({ service: call.service, region: call.region ?? 'us-east-1', credentials: call.credentials, sha256: NodeSha256 });
  const [p, q] = path.split('?');
  const query = q ? Object.fromEntries(new URLSearchParams(q)) : {};
  const signed = await signer.sign(
    { method: call.method ?? 'POST', protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: p!, query, headers, body },
    call.signingDate ? { signingDate: call.signingDate } : {},
  );
  return { ...headers, ...(signed.headers as Record<string, string>) };
}

/** Sends a hand-signed request, for the cases the SDKs would refuse to produce. */
export async function rawCall(call: RawCall): Promise<RawResponse> {
  const req = { headers: await signedHeaders(call), body: call.body ?? '', path: call.path ?? '/' };
  call.tamper?.(req);
  const { host: _host, ...sendHeaders } = req.headers;
  const method = call.method ?? 'POST';
  const res = await fetch(new URL(req.path, call.endpoint), { method, headers: sendHeaders, ...(method === 'GET' ? {} : { body: req.body }) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

export const jsonHeaders = (target: string) => ({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': target });
