import { join } from 'node:path';
import { commandService } from '../commands/index.js';
import { registerPackageFiles } from '../documents/index.js';
import type { Capability } from '../protocol/capability.js';
import { attachPackageDownloads } from './downloads.js';
import { packageFiles } from './files.js';
import { packageJobHook } from './job.js';
import { distributorOperations } from './operations.js';
import { distributor, distributorSlot } from './slot.js';
import { sourcePolicyFromEnv } from './sources.js';
import { BucketStore } from './bucket-store.js';
import { DirectoryStore, type PackageStore } from './store.js';
import { distributorMigrations } from './tables.js';

/**
 * Distributor: package files in a content-addressed store (the S3-compatible bucket
 * CAPSTAN_PACKAGE_STORE_BUCKET names, else CAPSTAN_PACKAGE_STORE_DIR, else `packages/` in the
 * data directory), Package documents whose versions name them, and the
 * packages an `aws:configurePackage` step needs, put in each node's job with links to fetch
 * their files. Starts after documents and commands.
 */
export const distributorCapability: Capability = {
  name: 'distributor',
  migrations: distributorMigrations,
  operations: distributorOperations,
  start(core, options) {
    const bucket = process.env.CAPSTAN_PACKAGE_STORE_BUCKET;
    if (bucket && !options.s3) throw new Error('CAPSTAN_PACKAGE_STORE_BUCKET names a bucket, but no S3-compatible store is configured for this server');
    const store: PackageStore = bucket && options.s3 ? new BucketStore(options.s3, bucket) : new DirectoryStore(process.env.CAPSTAN_PACKAGE_STORE_DIR || join(options.dataDir ?? '.', 'packages'));
    distributorSlot.set(core, { store });
    registerPackageFiles(core, packageFiles(store, sourcePolicyFromEnv()));
    commandService(core).nodePayloads.register(packageJobHook(core, options.publicUrl ?? (() => '')));
  },
  http(app, core) {
    attachPackageDownloads(app, core, distributor(core).store);
  },
};
