import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonHeaders, rawCall, type RawResponse } from '../../test-support/sign.js';
import type { TestServer } from '../../test-support/server.js';

export const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A package archive as operators make them: the files (scripts executable) zipped by Info-ZIP's zip. */
export function zipOf(files: Record<string, string>): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'capstan-pkg-'));
  try {
    const src = join(dir, 'src');
    mkdirSync(src);
    for (const [name, text] of Object.entries(files)) {
      writeFileSync(join(src, name), text);
      if (name.endsWith('.sh')) chmodSync(join(src, name), 0o755);
    }
    execFileSync('zip', ['-q', '-X', '-r', join(dir, 'out.zip'), '.'], { cwd: src });
    return readFileSync(join(dir, 'out.zip'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A schema 2.0 manifest with one archive for every platform of `arch` (default: any). */
export function manifestOf(version: string, file: string, archive: Buffer, o: { arch?: string; size?: number; publisher?: string } = {}): string {
  return JSON.stringify({
    schemaVersion: '2.0',
    version,
    ...(o.publisher ? { publisher: o.publisher } : {}),
    packages: { _any: { _any: { [o.arch ?? '_any']: { file } } } },
    files: { [file]: { checksums: { sha256: sha256(archive) }, ...(o.size !== undefined ? { size: o.size } : {}) } },
  });
}

/** CapstanPutPackageFile, signed as the test server's admin. */
export function putPackageFile(t: TestServer, data: Buffer, given = sha256(data)): Promise<RawResponse> {
  return rawCall({ endpoint: t.endpoint, service: 'ssm', credentials: t.credentials, headers: jsonHeaders('AmazonSSM.CapstanPutPackageFile'), body: JSON.stringify({ Sha256: given, Content: data.toString('base64') }) });
}
