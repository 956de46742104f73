// Inventory at fleet scale on one server process with its default settings: PutInventory of
// `--apps` AWS:Application entries from each of `--nodes` registered nodes through the AWS API
// (`--concurrency` calls in flight), then fleet-wide GetInventory queries — "which nodes have
// openssl older than 3.0.13" (all pages) and a count by platform — and the store's size.
//   npm run bench -- inventory [--engine sqlite|postgres] [--nodes 1000] [--apps 2000] [--concurrency 16]
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateActivationCommand, GetInventoryCommand, PutInventoryCommand, SSMClient } from '@aws-sdk/client-ssm';
import pg from 'pg';
import { freshSchema } from '../packages/server/src/test-support/postgres.js';
import { ADMIN, startCapstan } from './_harness.js';
import { registerSimulated } from './_sim-register.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'sqlite' },
    nodes: { type: 'string', default: '1000' },
    apps: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const nodes = Number(values.nodes);
const appsPerNode = Number(values.apps);
const concurrency = Number(values.concurrency);
const schema = values.engine === 'postgres' ? await freshSchema() : undefined;
const server = await startCapstan(schema?.url);
const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
const secs = (t0: number) => ((performance.now() - t0) / 1000).toFixed(2);

try {
  // Register the fleet (not timed as inventory).
  const ids: string[] = [];
  const activations = [];
  for (let left = nodes; left > 0; left -= 1000) {
    const n = Math.min(1000, left);
    const a = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: n, Description: 'bench/inventory' }));
    activations.push({ id: a.ActivationId!, code: a.ActivationCode!, count: n });
  }
  const reg = await registerSimulated(server.url, activations, 32, 0, (_n, _key, id) => ids.push(id));
  if (reg.failed) throw new Error(`${reg.failed} registrations failed: ${reg.error}`);
  console.log(`registered ${ids.length} nodes`);

  // Each node: 2,000 packages; openssl at one of four versions; a platform by node number.
  const opensslVersions = ['3.0.2-0ubuntu1.15', '3.0.13-0ubuntu3.1', '1.1.1f-1ubuntu2.22', '3.2.1-3'];
  const item = (n: number) => ({
    TypeName: 'AWS:Application',
    SchemaVersion: '1.1',
    CaptureTime: '2026-11-26T10:00:00Z',
    Content: Array.from({ length: appsPerNode }, (_, i) =>
      i === 0
        ? { Name: 'openssl', Version: opensslVersions[n % 4]!, Publisher: 'Ubuntu Developers', Architecture: 'amd64', ApplicationType: 'libs' }
        : { Name: `pkg-${i}`, Version: `${1 + (i % 7)}.${(n + i) % 20}.${i % 13}-1`, Publisher: 'Ubuntu Developers', Architecture: 'amd64', ApplicationType: 'libs' },
    ),
  });
  let next = 0;
  let bytes = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < ids.length) {
        const n = next++;
        const it = item(n);
        bytes += JSON.stringify(it).length;
        await ssm.send(new PutInventoryCommand({ InstanceId: ids[n]!, Items: [it] }));
      }
    }),
  );
  const putSecs = secs(t0);
  console.log(`PutInventory: ${ids.length} nodes × ${appsPerNode} applications (${(bytes / 1e6).toFixed(0)} MB of items) in ${putSecs} s — ${(ids.length / Number(putSecs)).toFixed(1)} calls/s, ${((ids.length * appsPerNode) / Number(putSecs)).toFixed(0)} entries/s`);

  const filters = [
    { Key: 'AWS:Application.Name', Values: ['openssl'], Type: 'Equal' as const },
    { Key: 'AWS:Application.Version', Values: ['3.0.13'], Type: 'LessThan' as const },
  ];
  const t1 = performance.now();
  let found = 0;
  let pages = 0;
  let token: string | undefined;
  do {
    const r = await ssm.send(new GetInventoryCommand({ Filters: filters, MaxResults: 50, NextToken: token }));
    found += r.Entities!.length;
    pages++;
    token = r.NextToken;
  } while (token);
  console.log(`GetInventory (openssl < 3.0.13, all ${pages} pages): ${found} nodes in ${secs(t1)} s`);
  const t2 = performance.now();
  const agg = await ssm.send(new GetInventoryCommand({ Filters: filters, Aggregators: [{ Expression: 'AWS:InstanceInformation.PlatformType' }] }));
  console.log(`GetInventory aggregated by platform (same filter): ${JSON.stringify(agg.Entities![0]!.Data!['AWS:InstanceInformation']!.Content)} in ${secs(t2)} s`);
  const t3 = performance.now();
  const byVersion = await ssm.send(new GetInventoryCommand({ Filters: [{ Key: 'AWS:Application.Name', Values: ['openssl'] }], Aggregators: [{ Expression: 'AWS:Application.Version' }] }));
  console.log(`GetInventory aggregated by AWS:Application.Version (fleet-wide, ${nodes * appsPerNode} entries): ${byVersion.Entities![0]!.Data!['AWS:Application']!.Content!.length} versions in ${secs(t3)} s`);

  if (schema) {
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    const r = await c.query(`select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as size from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = current_schema() and c.relkind = 'r'`);
    await c.end();
    console.log(`database size (PostgreSQL schema, tables + indexes): ${(Number(r.rows[0].size) / 1e6).toFixed(0)} MB`);
  } else {
    const args = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    const dir = args[args.indexOf('--data-dir') + 1]!;
    const size = ['capstan.db', 'capstan.db-wal'].reduce((s, f) => {
      try {
        return s + statSync(join(dir, f)).size;
      } catch {
        return s;
      }
    }, 0);
    console.log(`database size (SQLite file + WAL): ${(size / 1e6).toFixed(0)} MB`);
  }
} finally {
  await server.stop();
  await schema?.drop();
}
