import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Such as `defaultProvider()` from @aws-sdk/credential-provider-node: the SDK clients' own chain. */
export type CredentialProvider = () => Promise<{ accessKeyId: string; secretAccessKey: string; sessionToken?: string; expiration?: Date }>;

/** An error answer from the server, named by its `__type` like the SDK names its exceptions. */
export class ServiceError extends Error {
  constructor(
    name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = name;
  }
}

const RETRYABLE = new Set(['ThrottlingException', 'InternalServerError', 'ServiceUnavailable', 'RequestLimitExceeded']);

/**
 * Calls the operations the AWS SDK does not know (Capstan's own, such as
 * `AmazonSSM.CapstanFollowCommand`): AWS JSON 1.1 on the SSM endpoint, signed with SigV4 for
 * service `ssm` with the same credentials the SDK clients use. Network failures, throttling and
 * server errors are retried a few times with backoff; anything else is thrown as a ServiceError.
 */
export class SsmJsonCaller {
  private readonly signer: SignatureV4;
  private readonly url: URL;

  constructor(
    endpoint: string,
    region: string,
    credentials: CredentialProvider,
    private readonly attempts = 4,
  ) {
    this.url = new URL(endpoint);
    this.signer = new SignatureV4({ service: 'ssm', region, credentials, sha256: Sha256 });
  }

  async call<T>(operation: string, input: object, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(operation, input, signal);
      } catch (e) {
        const retry = !signal?.aborted && attempt < this.attempts && (e instanceof ServiceError ? e.status >= 500 || RETRYABLE.has(e.name) : e instanceof TypeError);
        if (!retry) throw e;
        await new Promise((r) => setTimeout(r, Math.round(200 * 2 ** attempt * (0.5 + Math.random() / 2))));
      }
    }
  }

  private async once<T>(operation: string, input: object, signal?: AbortSignal): Promise<T> {
    const body = JSON.stringify(input);
    const path = this.url.pathname || '/';
    const headers: Record<string, string> = { host: this.url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AmazonSSM.${operation}` };
    const signed = await this.signer.sign({ method: 'POST', protocol: this.url.protocol, hostname: this.url.hostname, ...(this.url.port ? { port: Number(this.url.port) } : {}), path, query: {}, headers, body });
    const { host: _host, ...send } = signed.headers as Record<string, string>;
    const res = await fetch(new URL(path, this.url), { method: 'POST', headers: send, body, ...(signal ? { signal } : {}) });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      if (res.ok) throw new ServiceError('InvalidResponse', `${operation}: the server's answer is not JSON`, res.status);
    }
    if (!res.ok) {
      const type = String(parsed.__type ?? res.headers.get('x-amzn-errortype') ?? `HTTP${res.status}`);
      const name = type.slice(type.lastIndexOf('#') + 1).split(':')[0]!;
      throw new ServiceError(name, String(parsed.message ?? parsed.Message ?? (text || res.statusText)), res.status);
    }
    return parsed as T;
  }
}
