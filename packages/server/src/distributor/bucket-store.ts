import { getObject, headObject, putObject, type S3Config } from '../objects/s3.js';
import { SHA256, sha256Of, type PackageStore } from './store.js';

/**
 * An S3-compatible bucket (the server's store, `CAPSTAN_PACKAGE_STORE_BUCKET=bucket[/prefix]`):
 * what replicas share without a shared file system. Objects are named `<prefix>/<sha256>`.
 */
export class BucketStore implements PackageStore {
  private readonly bucket: string;
  private readonly prefix: string;

  constructor(
    private readonly s3: S3Config,
    location: string,
  ) {
    const [bucket, ...rest] = location.split('/');
    this.bucket = bucket!;
    this.prefix = rest.filter(Boolean).join('/');
  }

  get where(): string {
    return `${this.s3.endpoint}/${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private key(sha256: string): string {
    if (!SHA256.test(sha256)) throw new Error(`not a SHA-256: ${sha256.slice(0, 80)}`);
    return this.prefix ? `${this.prefix}/${sha256}` : sha256;
  }

  async put(sha256: string, data: Buffer): Promise<boolean> {
    if (sha256Of(data) !== sha256) return false;
    if ((await this.size(sha256)) !== data.length) await putObject(this.s3, this.bucket, this.key(sha256), data, 'application/zip');
    return true;
  }

  size(sha256: string): Promise<number | undefined> {
    return headObject(this.s3, this.bucket, this.key(sha256));
  }

  read(sha256: string): Promise<Buffer | undefined> {
    return getObject(this.s3, this.bucket, this.key(sha256));
  }
}
