import type { FastifyInstance } from 'fastify';
import type { Core } from '../protocol/context.js';
import { DOWNLOAD_PATH, hashOf } from './job.js';
import type { PackageStore } from './store.js';
import { tablesOf } from './tables.js';

/**
 * A node fetches its job's package files here, like a presigned URL: the link's 256-bit token
 * is the credential, only its hash is stored, and it expires. Expired links are swept as new
 * ones are asked for.
 */
export function attachPackageDownloads(app: FastifyInstance, core: Core, store: PackageStore): void {
  app.get(`${DOWNLOAD_PATH}/:token`, async (req, reply) => {
    const { token } = req.params as { token: string };
    const t = tablesOf(core.database.db);
    const now = core.clock.now();
    const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await t.selectFrom('package_downloads').select(['sha256', 'expires_at']).where('token_hash', '=', hashOf(token)).executeTakeFirst() : undefined;
    if (!row || row.expires_at < now) return reply.code(404).header('content-type', 'application/json').send({ error: 'no such package file, or its link expired: run the command again' });
    const file = await store.read(row.sha256);
    if (file === undefined) return reply.code(404).header('content-type', 'application/json').send({ error: 'the package file is no longer in the package store' });
    void t.deleteFrom('package_downloads').where('expires_at', '<', now).execute().catch(() => undefined);
    return reply.code(200).header('content-type', 'application/zip').header('cache-control', 'no-store').send(file);
  });
}
