import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadOrCreateCertificate, selfSignedCertificate } from './self-signed.js';

test('the self-signed certificate: ECDSA P-256, its own issuer, the names given, ten years, and the key matches', () => {
  const now = new Date('2026-11-26T12:00:00Z');
  const made = selfSignedCertificate(['capstan.example.net', '10.0.0.5', 'fe80::1', '0.0.0.0'], now);
  const cert = new X509Certificate(made.cert);
  assert.equal(cert.subject, 'CN=capstan.example.net');
  assert.equal(cert.issuer, cert.subject);
  assert.equal(cert.subjectAltName, 'DNS:capstan.example.net, IP Address:10.0.0.5, IP Address:FE80:0:0:0:0:0:0:1');
  assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(cert.checkPrivateKey(createPrivateKey(made.key)));
  assert.ok(cert.verify(cert.publicKey));
  assert.equal(new Date(cert.validTo).getUTCFullYear(), 2036);
  assert.ok(new Date(cert.validFrom) < now);
  assert.equal(cert.ca, false);
  assert.equal(cert.fingerprint256, made.fingerprint256);
});

test('made once per data directory, the key 0600, and kept on the next start', () => {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-cert-'));
  try {
    const first = loadOrCreateCertificate(dir, ['10.1.2.3']);
    assert.equal(first.created, true);
    assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
    assert.match(new X509Certificate(first.cert).subjectAltName ?? '', /IP Address:10\.1\.2\.3/);
    const again = loadOrCreateCertificate(dir, ['10.1.2.3']);
    assert.equal(again.created, false);
    assert.equal(again.fingerprint256, first.fingerprint256);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
