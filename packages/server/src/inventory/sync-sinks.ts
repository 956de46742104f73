import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve, sep } from 'node:path';
import { deleteObject, putObject, type S3Config } from '../objects/s3.js';

/**
 * Where a resource data sync's files go: a directory on the server (CAPSTAN_RESOURCE_DATA_SYNC_DIR,
 * each bucket a directory under it) or the S3-compatible store the server is configured with.
 * Keys are `<prefix>/<TypeName>/accountid=…/region=…/resourcetype=ManagedInstanceInventory/<id>.json`.
 */
export interface SyncSink {
  readonly kind: 'directory' | 's3';
  put(bucket: string, key: string, body: string): Promise<void>;
  remove(bucket: string, key: string): Promise<void>;
}

export class DirectorySink implements SyncSink {
  readonly kind = 'directory';
  private readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }
  private file(bucket: string, key: string): string {
    const base = resolve(this.root, bucket);
    const f = resolve(base, key);
    // The prefix was checked at create; this keeps a bad key from ever leaving the bucket.
    if (!f.startsWith(base + sep)) throw new Error(`the key ${key} leaves the bucket ${bucket}`);
    return f;
  }
  async put(bucket: string, key: string, body: string): Promise<void> {
    const f = this.file(bucket, key);
    mkdirSync(dirname(f), { recursive: true });
    // Replaced atomically: a reader never sees half a file.
    writeFileSync(`${f}.tmp`, body);
    renameSync(`${f}.tmp`, f);
  }
  async remove(bucket: string, key: string): Promise<void> {
    rmSync(this.file(bucket, key), { force: true });
  }
}

export class S3Sink implements SyncSink {
  readonly kind = 's3';
  constructor(private readonly s3: S3Config) {}
  put(bucket: string, key: string, body: string): Promise<void> {
    return putObject(this.s3, bucket, key, Buffer.from(body), 'application/json');
  }
  remove(bucket: string, key: string): Promise<void> {
    return deleteObject(this.s3, bucket, key);
  }
}

/** The directory when the operator named one, else the S3-compatible store, else none. */
export function syncSink(s3: S3Config | undefined): SyncSink | undefined {
  const dir = process.env.CAPSTAN_RESOURCE_DATA_SYNC_DIR;
  if (dir) return new DirectorySink(dir);
  return s3 ? new S3Sink(s3) : undefined;
}
