import { createHash, randomBytes } from 'node:crypto';
import type { PatchBaselineSnapshot } from '@capstan/wire';
import type { FastifyInstance } from 'fastify';
import type { Core } from '../protocol/context.js';
import { tablesOf } from './baselines.js';

export const SNAPSHOT_PATH = '/capstan/patch/v1/snapshots';
/** As long as a presigned URL AWS hands out for a snapshot: enough to fetch it, too short to share. */
const SNAPSHOT_TTL_MS = 15 * 60_000;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Snapshots GetDeployablePatchSnapshotForInstance makes, fetched like a presigned URL: the URL's
 * 256-bit token is the credential, only its hash is stored, and it expires.
 */
export class PatchSnapshots {
  publicUrl: () => string = () => '';
  constructor(private readonly core: Core) {}

  async publish(account: string, region: string, snapshot: PatchBaselineSnapshot): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.core.clock.now();
    const t = tablesOf(this.core.database.db);
    await t.deleteFrom('patch_snapshots').where('expires_at', '<', now).execute();
    await t.insertInto('patch_snapshots').values({ token_hash: hashOf(token), account_id: account, region, instance_id: snapshot.InstanceId, snapshot_id: snapshot.SnapshotId, body: JSON.stringify(snapshot), expires_at: now + SNAPSHOT_TTL_MS }).execute();
    return `${this.publicUrl()}${SNAPSHOT_PATH}/${token}`;
  }

  attach(app: FastifyInstance): void {
    app.get(`${SNAPSHOT_PATH}/:token`, async (req, reply) => {
      const { token } = req.params as { token: string };
      const row = /^[A-Za-z0-9_-]{43}$/.test(token) ? await tablesOf(this.core.database.db).selectFrom('patch_snapshots').select(['body', 'expires_at']).where('token_hash', '=', hashOf(token)).executeTakeFirst() : undefined;
      if (!row || row.expires_at < this.core.clock.now()) return reply.code(404).header('content-type', 'application/json').send({ error: 'no such snapshot, or its link expired: call GetDeployablePatchSnapshotForInstance again' });
      return reply.code(200).header('content-type', 'application/json').header('cache-control', 'no-store').send(row.body);
    });
  }
}
