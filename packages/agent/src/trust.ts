import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { isLoopbackHost } from '@capstan/wire';

/** How the agent trusts its server's certificate; kept with the identity. */
export interface Trust {
  /** PEM file of the CA (or the self-signed certificate) that issued the server's certificate. */
  caFile?: string;
  /** SHA-256 fingerprint of the server's certificate (hex, colons optional): trusts exactly that certificate. */
  pinSha256?: string;
}

const normalise = (fp: string) => fp.replace(/[^0-9a-f]/gi, '').toUpperCase();

/**
 * An agent runs what its server sends as root, so it talks to anything but this machine only
 * over TLS it has verified: against the system's CAs, a CA file, or a pinned fingerprint.
 */
export function checkEndpoint(endpoint: string, trust: Trust = {}): URL {
  const url = new URL(endpoint);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${endpoint}: the endpoint must be http(s)://`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new Error(`${endpoint} is not on this machine: use https:// (with --ca-file or --pin-sha256 for a private certificate); plain http is only for loopback`);
  }
  if (trust.pinSha256 && normalise(trust.pinSha256).length !== 64) throw new Error(`--pin-sha256 must be a SHA-256 fingerprint (64 hex digits), not ${trust.pinSha256}`);
  if (trust.caFile) readFileSync(trust.caFile);
  return url;
}

/** TLS options for a connection under this trust; a pin is checked separately (see checkPin). */
export function tlsOptions(trust: Trust = {}): { ca?: Buffer; rejectUnauthorized?: boolean } {
  if (trust.pinSha256) return { rejectUnauthorized: false };
  if (trust.caFile) return { ca: readFileSync(trust.caFile) };
  return {};
}

/** Throws unless the socket's certificate is the pinned one; call before sending anything over it. */
export function checkPin(socket: TLSSocket, trust: Trust = {}): void {
  if (!trust.pinSha256) return;
  const cert = socket.getPeerCertificate();
  const got = cert?.fingerprint256 ? normalise(cert.fingerprint256) : '';
  if (got !== normalise(trust.pinSha256)) throw new Error(`the server's certificate (SHA-256 ${cert?.fingerprint256 ?? 'none'}) is not the pinned one (${trust.pinSha256})`);
}

/** POSTs JSON under the trust rules; the body is written only once the certificate is accepted. */
export function postJson(endpoint: string, path: string, body: unknown, trust: Trust = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(path, endpoint);
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length }, timeout: 15_000, ...(url.protocol === 'https:' ? { ...tlsOptions(trust), agent: false } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let parsed: Record<string, unknown> = {};
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            // not JSON: the status says enough
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} within 15 s`)));
    if (url.protocol === 'https:') {
      req.on('socket', (socket) =>
        socket.once('secureConnect', () => {
          try {
            checkPin(socket as TLSSocket, trust);
            req.end(data);
          } catch (e) {
            req.destroy(e as Error);
          }
        }),
      );
    } else req.end(data);
  });
}
