import { createHash, createHmac } from 'node:crypto';

/** An S3-compatible store the operator points Capstan at (MinIO, Ceph, Garage, AWS S3 itself). */
export interface S3Config {
  /** e.g. `http://127.0.0.1:9000`; objects are addressed path-style: ENDPOINT/BUCKET/KEY. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

const hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();
/** S3 keys are signed with each segment encoded once (unlike other services). */
const encodeKey = (key: string) => key.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');

export const objectUrl = (s3: S3Config, bucket: string, key: string) => `${s3.endpoint.replace(/\/$/, '')}/${bucket}/${encodeKey(key)}`;

/** PutObject, signed with SigV4 (service `s3`). Throws on anything but 2xx, so the caller's job retries. */
export async function putObject(s3: S3Config, bucket: string, key: string, body: Buffer, contentType = 'text/plain; charset=utf-8', now = new Date()): Promise<void> {
  ok(await signedRequest(s3, 'PUT', bucket, key, body, { 'content-type': contentType }, now), 'PUT', bucket, key);
}

/** DeleteObject; S3 answers 204 whether or not the key existed. */
export async function deleteObject(s3: S3Config, bucket: string, key: string, now = new Date()): Promise<void> {
  ok(await signedRequest(s3, 'DELETE', bucket, key, Buffer.alloc(0), {}, now), 'DELETE', bucket, key);
}

/** GetObject: the object's bytes, or undefined when there is no such key (404). */
export async function getObject(s3: S3Config, bucket: string, key: string, now = new Date()): Promise<Buffer | undefined> {
  const res = await signedRequest(s3, 'GET', bucket, key, Buffer.alloc(0), {}, now);
  return res.status === 404 ? undefined : ok(res, 'GET', bucket, key).body;
}

/** HeadObject: the object's size, or undefined when there is no such key (404). */
export async function headObject(s3: S3Config, bucket: string, key: string, now = new Date()): Promise<number | undefined> {
  const res = await signedRequest(s3, 'HEAD', bucket, key, Buffer.alloc(0), {}, now);
  return res.status === 404 ? undefined : Number(ok(res, 'HEAD', bucket, key).length);
}

interface Answer {
  status: number;
  body: Buffer;
  length: string | null;
}

function ok(res: Answer, method: string, bucket: string, key: string): Answer {
  if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${bucket}/${key} answered ${res.status}: ${res.body.toString('utf8', 0, 200)}`);
  return res;
}

async function signedRequest(s3: S3Config, method: 'PUT' | 'DELETE' | 'GET' | 'HEAD', bucket: string, key: string, body: Buffer, extra: Record<string, string>, now: Date): Promise<Answer> {
  const url = new URL(objectUrl(s3, bucket, key));
  const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = hex(body);
  const headers: Record<string, string> = { host: url.host, ...extra, 'x-amz-content-sha256': payloadHash, 'x-amz-date': amzDate };
  const names = Object.keys(headers).sort();
  const canonical = [method, url.pathname, '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), payloadHash].join('\n');
  const scope = `${day}/${s3.region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hex(canonical)].join('\n');
  const key0 = hmac(hmac(hmac(hmac(`AWS4${s3.secretAccessKey}`, day), s3.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key0).update(toSign).digest('hex');
  const { host: _host, ...send } = headers;
  const res = await fetch(url, {
    method,
    headers: { ...send, authorization: `AWS4-HMAC-SHA256 Credential=${s3.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}` },
    ...(method === 'PUT' ? { body } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const answer = Buffer.from(await res.arrayBuffer().catch(() => new ArrayBuffer(0)));
  return { status: res.status, body: answer, length: res.headers.get('content-length') };
}
