import { createPrivateKey, type KeyObject } from 'node:crypto';
import { answerChallenge } from '@capstan/wire';
import { lookup } from 'node:dns/promises';
import { existsSync, statSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { openChannel } from './channel-socket.js';
import { checkPin, tlsOptions } from './trust.js';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loadIdentity, type Identity } from './state.js';

export interface Check {
  name: string;
  status: 'ok' | 'FAIL' | 'skip';
  detail: string;
}

const TIMEOUT_MS = 5_000;
const MAX_SKEW_MS = 5 * 60_000;

/**
 * Walks the path from this machine to an accepted identity, one layer at a time, so the first
 * FAIL names the layer to fix. Checks that cannot mean anything after an earlier failure are
 * reported as skipped rather than as a second, misleading failure.
 */
export async function diagnose(stateDir: string): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, status: Check['status'], detail: string) => checks.push({ name, status, detail });
  const skipRest = (names: string[], why: string) => names.forEach((n) => add(n, 'skip', why));
  const later = ['endpoint', 'dns', 'tcp', 'tls', 'clock', 'identity'];

  const files = ['identity.json', 'private-key.pem'].filter((f) => !existsSync(join(stateDir, f)));
  if (files.length) {
    add('state', 'FAIL', `missing ${files.join(', ')} in ${stateDir}: run \`capstan agent register\``);
    skipRest(later, 'no identity');
    return checks;
  }
  let identity: Identity;
  let key: KeyObject;
  try {
    const loaded = loadIdentity(stateDir);
    identity = loaded.identity;
    key = createPrivateKey(loaded.privateKeyPem);
  } catch (e) {
    add('state', 'FAIL', `cannot read the identity in ${stateDir}: ${(e as Error).message}`);
    skipRest(later, 'no identity');
    return checks;
  }
  // Permissions do not stop the agent from working, so the later checks still run.
  const loose = [
    [stateDir, 0o700],
    [join(stateDir, 'private-key.pem'), 0o600],
  ]
    .map(([p, want]) => ({ p: p as string, want: want as number, mode: statSync(p as string).mode & 0o777 }))
    .filter((x) => (x.mode & ~x.want) !== 0);
  if (loose.length) add('state', 'FAIL', `permissions too open: ${loose.map((x) => `${x.p} is ${x.mode.toString(8).padStart(4, '0')}, want ${x.want.toString(8).padStart(4, '0')}`).join('; ')}`);
  else add('state', 'ok', `instance ${identity.instanceId} (account ${identity.accountId}, ${identity.region}); private key 0600, state dir 0700`);

  let url: URL;
  try {
    url = new URL(identity.endpoint);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`scheme ${url.protocol} is not http or https`);
    add('endpoint', 'ok', identity.endpoint);
  } catch (e) {
    add('endpoint', 'FAIL', `${identity.endpoint} is not a usable URL: ${(e as Error).message}`);
    skipRest(later.slice(1), 'no endpoint');
    return checks;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));

  try {
    const addrs = await lookup(host, { all: true });
    add('dns', 'ok', `${host} resolves to ${addrs.map((a) => a.address).join(', ')}`);
  } catch (e) {
    add('dns', 'FAIL', `${host} does not resolve: ${(e as Error).message}`);
    skipRest(later.slice(2), 'no address');
    return checks;
  }

  const tcp = await new Promise<string | undefined>((resolve) => {
    const s = tcpConnect({ host, port, timeout: TIMEOUT_MS });
    s.once('connect', () => (s.destroy(), resolve(undefined)));
    s.once('timeout', () => (s.destroy(), resolve(`no answer within ${TIMEOUT_MS} ms (a firewall dropping packets?)`)));
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'connection refused (is the server running and listening there?)' : e.message));
  });
  if (tcp) {
    add('tcp', 'FAIL', `cannot connect to ${host}:${port}: ${tcp}`);
    skipRest(later.slice(3), 'no connection');
    return checks;
  }
  add('tcp', 'ok', `connected to ${host}:${port}`);

  if (url.protocol === 'https:') {
    const tls = await new Promise<string | undefined>((resolve) => {
      const s = tlsConnect({ host, port, servername: host, timeout: TIMEOUT_MS, ...tlsOptions(identity.trust) });
      s.once('secureConnect', () => {
        try {
          checkPin(s, identity.trust);
          s.destroy();
          resolve(undefined);
        } catch (e) {
          s.destroy();
          resolve((e as Error).message);
        }
      });
      s.once('timeout', () => (s.destroy(), resolve(`no handshake within ${TIMEOUT_MS} ms`)));
      s.once('error', (e) => resolve(e.message));
    });
    if (tls) {
      add('tls', 'FAIL', `TLS handshake with ${host}:${port} failed: ${tls}`);
      skipRest(later.slice(4), 'no TLS');
      return checks;
    }
    add('tls', 'ok', `certificate of ${host} verified${identity.trust?.pinSha256 ? ' (pinned fingerprint)' : identity.trust?.caFile ? ` against ${identity.trust.caFile}` : ' against the system CAs'}`);
  } else add('tls', 'skip', 'plain http endpoint');

  try {
    const date = await serverDate(identity);
    if (!date) add('clock', 'FAIL', 'the server sent no Date header');
    else {
      // Date has one-second resolution; the skew that matters (signatures) is minutes.
      const skew = Date.now() - Date.parse(date);
      const text = `local clock is ${Math.abs(Math.round(skew / 1000))} s ${skew >= 0 ? 'ahead of' : 'behind'} the server`;
      add('clock', Math.abs(skew) > MAX_SKEW_MS ? 'FAIL' : 'ok', Math.abs(skew) > MAX_SKEW_MS ? `${text} (more than 5 minutes: fix NTP)` : text);
    }
  } catch (e) {
    add('clock', 'FAIL', `cannot read the server's time: ${(e as Error).message}`);
  }

  const refused = await probeIdentity(identity, key);
  add('identity', refused ? 'FAIL' : 'ok', refused ?? `the server accepted instance ${identity.instanceId}`);
  return checks;
}

/** Answers the channel's challenge with the probe flag; undefined when welcomed, else why not. */
function probeIdentity(identity: Identity, key: KeyObject): Promise<string | undefined> {
  return new Promise((resolve) => {
    const ws = openChannel(identity, TIMEOUT_MS);
    let outcome: string | undefined = 'the channel closed before the server answered';
    const timer = setTimeout(() => ((outcome = `no answer to hello within ${TIMEOUT_MS} ms`), ws.terminate()), TIMEOUT_MS);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type?: string; nonce?: string; message?: string };
      if (m.type === 'challenge' && m.nonce) {
        const signature = answerChallenge(m.nonce, identity.instanceId, key);
        ws.send(JSON.stringify({ type: 'hello', instanceId: identity.instanceId, signature, probe: true }));
      } else if (m.type === 'welcome') {
        outcome = undefined;
        ws.close(1000);
      } else if (m.type === 'error') outcome = `the server refused the identity: ${m.message ?? 'no reason given'}`;
    });
    ws.on('error', (e) => (outcome = `channel failed: ${e.message}`));
    ws.on('close', () => (clearTimeout(timer), resolve(outcome)));
  });
}

/** The server's Date header from /health, fetched under the identity's trust. */
function serverDate(identity: Identity): Promise<string | null> {
  const url = new URL('/health', identity.endpoint);
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { timeout: TIMEOUT_MS, ...(url.protocol === 'https:' ? { ...tlsOptions(identity.trust), agent: false } : {}) }, (res) => {
      res.resume();
      resolve(typeof res.headers.date === 'string' ? res.headers.date : null);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.end();
  });
}
