import { generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * A self-signed certificate for a server that listens beyond loopback without one of its own:
 * ECDSA P-256, signed with SHA-256, built here in DER so no tool or package is needed. Clients
 * trust it by its SHA-256 fingerprint (`capstan agent register --pin-sha256`), so it is made once
 * per data directory and kept: a new certificate would break every pin.
 */

export interface ServerCertificate {
  cert: Buffer;
  key: Buffer;
  /** `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it. */
  fingerprint256: string;
  certFile: string;
  keyFile: string;
  /** True when this call made it. */
  created: boolean;
}

/** The certificate in `<dataDir>/tls`, made on first use; the key file is 0600. */
export function loadOrCreateCertificate(dataDir: string, names: readonly string[] = []): ServerCertificate {
  const dir = join(dataDir, 'tls');
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile);
    return { cert, key: readFileSync(keyFile), fingerprint256: new X509Certificate(cert).fingerprint256, certFile, keyFile, created: false };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const made = selfSignedCertificate(['localhost', '127.0.0.1', '::1', hostname(), ...names]);
  // The key is written 0600 before any byte of it lands, and renamed into place so a crash never leaves half a key.
  writeFileSync(`${keyFile}.tmp`, made.key, { mode: 0o600 });
  chmodSync(`${keyFile}.tmp`, 0o600);
  renameSync(`${keyFile}.tmp`, keyFile);
  writeFileSync(`${certFile}.tmp`, made.cert, { mode: 0o644 });
  renameSync(`${certFile}.tmp`, certFile);
  return { ...made, certFile, keyFile, created: true };
}

const VALID_YEARS = 10;

export function selfSignedCertificate(names: readonly string[], now = new Date()): { cert: Buffer; key: Buffer; fingerprint256: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const subject = name(names.find((n) => n && !isIP(n)) ?? 'capstan');
  const notAfter = new Date(now);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + VALID_YEARS);
  const notBefore = new Date(now.getTime() - 60 * 60_000); // an hour back, for clocks a little behind
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x40; // positive, and no leading zero byte needed
  const tbs = seq(
    tlv(0xa0, int(Buffer.from([2]))), // v3
    int(serial),
    ECDSA_SHA256,
    subject,
    seq(time(notBefore), time(notAfter)),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, seq(extension('2.5.29.17', false, subjectAltNames(names)), extension('2.5.29.19', true, seq()))),
  );
  const signature = sign('sha256', tbs, privateKey as KeyObject); // DER-encoded ECDSA signature
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = Buffer.from(`-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`);
  const x509 = new X509Certificate(cert);
  if (!x509.verify(publicKey)) throw new Error('the self-signed certificate does not verify');
  return { cert, key: Buffer.from(privateKey.export({ type: 'pkcs8', format: 'pem' })), fingerprint256: x509.fingerprint256 };
}

// ---- DER ---------------------------------------------------------------------------------

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : (() => {
    const bytes: number[] = [];
    for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
    return Buffer.from([0x80 | bytes.length, ...bytes]);
  })();
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const int = (bytes: Buffer) => tlv(0x02, bytes);

function oid(text: string): Buffer {
  const arcs = text.split('.').map(Number);
  const out = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = arc >> 7; v > 0; v >>= 7) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function name(commonName: string): Buffer {
  return seq(tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName.slice(0, 64), 'utf8')))));
}

/** UTCTime until 2049, GeneralizedTime after, as RFC 5280 says. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return seq(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));
}

function subjectAltNames(names: readonly string[]): Buffer {
  const entries: Buffer[] = [];
  const seen = new Set<string>();
  for (const n of names) {
    if (!n || seen.has(n) || n === '0.0.0.0' || n === '::') continue;
    seen.add(n);
    if (isIP(n) === 4) entries.push(tlv(0x87, Buffer.from(n.split('.').map(Number))));
    else if (isIP(n) === 6) entries.push(tlv(0x87, ipv6Bytes(n)));
    else if (/^[a-zA-Z0-9.-]+$/.test(n)) entries.push(tlv(0x82, Buffer.from(n, 'ascii')));
  }
  return seq(...entries);
}

function ipv6Bytes(ip: string): Buffer {
  const [head, tail] = ip.split('::') as [string, string | undefined];
  const parts = (s: string | undefined) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = parts(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}
