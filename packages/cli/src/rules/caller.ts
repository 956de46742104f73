import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { ServiceError, type CredentialProvider } from '../run/signed.js';

/** A JSON 1.1 service as the wire names it: SigV4 signing name and X-Amz-Target prefix. */
export interface JsonService {
  signingName: string;
  targetPrefix: string;
}

export const EVENTS_SERVICE: JsonService = { signingName: 'events', targetPrefix: 'AWSEvents' };

/**
 * Calls a JSON 1.1 service signed with the SDK's credentials, without its SDK client: the CLI
 * does not depend on @aws-sdk/client-eventbridge, and Capstan's own operations (such as
 * CapstanListRuleFirings) have no SDK command anyway. Errors come back as ServiceError, named by
 * their `__type`.
 */
export class JsonCaller {
  private readonly signer: SignatureV4;
  private readonly url: URL;

  constructor(
    endpoint: string,
    region: string,
    credentials: CredentialProvider,
    private readonly service: JsonService,
  ) {
    this.url = new URL(endpoint);
    this.signer = new SignatureV4({ service: service.signingName, region, credentials, sha256: Sha256 });
  }

  async call<T>(operation: string, input: object): Promise<T> {
    const body = JSON.stringify(input);
    const path = this.url.pathname || '/';
    const headers: Record<string, string> = { host: this.url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `${this.service.targetPrefix}.${operation}` };
    const signed = await this.signer.sign({ method: 'POST', protocol: this.url.protocol, hostname: this.url.hostname, ...(this.url.port ? { port: Number(this.url.port) } : {}), path, query: {}, headers, body });
    const { host: _host, ...send } = signed.headers as Record<string, string>;
    const res = await fetch(new URL(path, this.url), { method: 'POST', headers: send, body });
    const text = await res.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      if (res.ok) throw new ServiceError('InvalidResponse', `${operation}: the server's answer is not JSON`, res.status);
    }
    if (!res.ok) {
      const type = String(parsed.__type ?? res.headers.get('x-amzn-errortype') ?? `HTTP${res.status}`);
      throw new ServiceError(type.slice(type.lastIndexOf('#') + 1).split(':')[0]!, String(parsed.message ?? parsed.Message ?? (text || res.statusText)), res.status);
    }
    return parsed as T;
  }
}
