import { createHash, createHmac } from 'node:crypto';

export interface RequestToSign {
  host: string;
  /** JSON services: `AmazonSSM.GetParameter`; absent for Query services, whose body names the action. */
  target?: string;
  contentType: string;
  body: Buffer;
  region: string;
  /** The service's SigV4 signing name (`ssm`, `kms`, `iam`, …). */
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
  now: number;
  userAgent: string;
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/**
 * Signs a `POST /` call with SigV4 as an SDK would (JSON 1.x with its target, or a Query
 * form), so the console's calls are verified by the same code as everyone else's. The headers
 * are all ours (the target was looked up in the registry), so none needs the whitespace
 * folding of canonical headers.
 */
export function signPostRequest(r: RequestToSign): Record<string, string> {
  const amzDate = new Date(r.now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    'content-type': r.contentType,
    host: r.host,
    'x-amz-date': amzDate,
    ...(r.target !== undefined ? { 'x-amz-target': r.target } : {}),
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((n) => `${n}:${headers[n]}`), '', names.join(';'), sha256Hex(r.body)].join('\n');
  const scope = `${date}/${r.region}/${r.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${r.secretAccessKey}`, date), r.region), r.service), 'aws4_request');
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    ...headers,
    'user-agent': r.userAgent,
    authorization: `AWS4-HMAC-SHA256 Credential=${r.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
