import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { GetTagsCommand, ResourceGroupsClient } from '@aws-sdk/client-resource-groups';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ALL_OPERATIONS } from '../../server.js';
import { signedHeaders } from '../../test-support/sign.js';
import { onEveryEngine } from '../../test-support/engines.js';
import { startTestServer, type Engine, type TestServer } from '../../test-support/server.js';
import type { AnyOperation, Protocol } from '../registry.js';
import { invalidInputs } from './mutations.js';
import { requestFor, type WireRequest } from './wire.js';

/**
 * Every registered operation, sent inputs its schema refuses and bytes no protocol accepts,
 * signed as the admin through the real HTTP path. Each must answer a 4xx in the protocol's
 * error shape with a validation code, and leave the store as it was. On both engines: a
 * handler that reaches the store before refusing, or a store error surfacing as a 5xx, shows
 * only on the engine where it happens.
 */
const SEED = Number(process.env.CAPSTAN_FUZZ_SEED ?? 20261126);
const RUNS = Number(process.env.CAPSTAN_FUZZ_RUNS ?? 12);

/** Codes a refused input may carry, per protocol: validation, or a body that does not decode. */
const INPUT_CODES: Record<Protocol, readonly string[]> = {
  json: ['ValidationException', 'SerializationException'],
  'rest-json': ['ValidationException', 'SerializationException'],
  query: ['ValidationError', 'MalformedInput'],
};
/**
 * Services whose AWS models name their own validation error: Resource Groups answers
 * BadRequestException, the tagging API InvalidParameterException.
 */
const SERVICE_CODES: Record<string, readonly string[]> = {
  'resource-groups': ['BadRequestException', 'SerializationException'],
  tagging: ['InvalidParameterException', 'SerializationException'],
};
const inputCodes = (op: AnyOperation) => SERVICE_CODES[op.service.key] ?? INPUT_CODES[op.service.protocol];
/** Protocol-level garbage may also name no operation at all. */
const GARBAGE_CODES: Record<Protocol, readonly string[]> = {
  json: [...INPUT_CODES.json, 'UnknownOperationException'],
  'rest-json': [...INPUT_CODES['rest-json'], 'UnknownOperationException'],
  query: [...INPUT_CODES.query, 'InvalidAction'],
};

/**
 * Tables that change with no request at all, or on every request by design:
 * - the audit trail records refused calls too, as CloudTrail does (`errorCode` on the event);
 * - the replica registry and the scheduler's leases are refreshed by timers.
 * Found by snapshotting an idle server twice (see `idle tables` below) and reading the names.
 */
const CHANGES_BY_DESIGN = /^(audit_|cluster_|scheduler_leases?$|kysely_)/;

/**
 * The scheduler leases and reschedules its periodic jobs on a timer (due_at, attempts, lease_*);
 * which jobs exist, and with what payload, is what a request could change.
 */
const PROJECTIONS: Record<string, string> = { scheduler_jobs: 'kind, dedupe_key, payload' };

/**
 * Generated inputs per operation on PostgreSQL: the first RUNS_PG of the same seeded sequence,
 * which keeps the suite's time reasonable on a loaded machine. The rest exercise the front of
 * the pipeline, the same on both engines; CAPSTAN_FUZZ_RUNS_PG=12 sends them all.
 */
const RUNS_PG = Number(process.env.CAPSTAN_FUZZ_RUNS_PG ?? 4);

interface Tally {
  requests: number;
  invariants: number;
  /** Generated inputs the schema accepts are valid calls, not bad input: they are counted and not sent. */
  accepted: number;
  perProtocol: Record<string, number>;
}
let tally: Tally;
let t: TestServer;
let tables: string[] = [];

async function tablesOf(engine: Engine): Promise<string[]> {
  const db = t.server.core.database.db;
  const rows =
    engine === 'postgres'
      ? await sql<{ name: string }>`select tablename as name from pg_tables where schemaname = current_schema() order by tablename`.execute(db)
      : await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/**
 * Row count and a hash of every row, per table. On PostgreSQL one statement hashes every table
 * where the rows are (a round trip per table per operation made the suite four times slower);
 * rows are hashed in sorted order on both engines, since PostgreSQL returns them in no set order.
 */
async function snapshot(only?: (name: string) => boolean): Promise<Map<string, string>> {
  const names = tables.filter((name) => (only ? only(name) : !CHANGES_BY_DESIGN.test(name)));
  const db = t.server.core.database.db;
  const out = new Map<string, string>();
  if (t.server.core.database.engine === 'postgres') {
    const parts = names.map(
      (name) => sql`select ${name}::text as name, count(*)::int as n, coalesce(md5(string_agg(x::text, E'\n' order by x::text)), '') as h from (select ${sql.raw(PROJECTIONS[name] ?? '*')} from ${sql.table(name)}) x`,
    );
    if (!parts.length) return out;
    const rows = await sql<{ name: string; n: number; h: string }>`${sql.join(parts, sql` union all `)}`.execute(db);
    for (const r of rows.rows) out.set(r.name, `${r.n}:${r.h}`);
    return out;
  }
  for (const name of names) {
    const rows = await sql<Record<string, unknown>>`select ${sql.raw(PROJECTIONS[name] ?? '*')} from ${sql.table(name)}`.execute(db);
    const lines = rows.rows.map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('base64') : v))).sort();
    const h = createHash('sha256');
    for (const line of lines) h.update(line).update('\n');
    out.set(name, `${rows.rows.length}:${h.digest('hex').slice(0, 16)}`);
  }
  return out;
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
}

interface Answer {
  status: number;
  code: string;
  message: string;
  raw: string;
}

async function send(req: Pick<WireRequest, 'method' | 'path' | 'headers'> & { body: string | Buffer }, service: string): Promise<Answer> {
  // The signer hashes a Buffer body byte for byte, which is how invalid UTF-8 gets a valid signature.
  const headers = await signedHeaders({ endpoint: t.endpoint, service, credentials: t.credentials, method: req.method, path: req.path, headers: req.headers, body: req.body as string });
  const { host: _host, ...sendHeaders } = headers;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const res = await fetch(new URL(req.path, t.endpoint), { method: req.method, headers: sendHeaders, ...(hasBody ? { body: req.body } : {}) });
  const raw = await res.text();
  tally.requests++;
  return { status: res.status, raw, ...errorOf(res, raw) };
}

/** Reads the error in whichever dress the protocol gives it. */
function errorOf(res: Response, raw: string): { code: string; message: string } {
  if (raw.startsWith('<')) {
    const m = /^<ErrorResponse xmlns="[^"]+"><Error><Type>Sender<\/Type><Code>(\w+)<\/Code><Message>([^<]*)<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>$/.exec(raw);
    return m ? { code: m[1]!, message: m[2]! } : { code: '(not a Query error)', message: '' };
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return { code: '(not JSON)', message: '' };
  }
  const code = typeof body.__type === 'string' ? body.__type : '(no __type)';
  const header = res.headers.get('x-amzn-errortype');
  const message = typeof body.message === 'string' ? body.message : typeof body.Message === 'string' ? body.Message : '';
  return { code: header === code ? code : `(header ${header} ≠ __type ${code})`, message };
}

function check(op: AnyOperation, a: Answer, allowed: readonly string[], what: string): void {
  const where = `${op.service.key}:${op.name} ${what}: ${a.status} ${a.raw.slice(0, 300)}`;
  assert.ok(a.status >= 400 && a.status < 500, `4xx expected — ${where}`);
  assert.ok(allowed.includes(a.code), `code in [${allowed.join(', ')}] expected — ${where}`);
  assert.ok(a.message.length > 0, `a message saying what was wrong expected — ${where}`);
  tally.invariants += 3;
}

/** Does the schema refuse this input? A schema that throws instead of refusing counts as refusing. */
function refuses(op: AnyOperation, decoded: unknown): boolean {
  if (decoded === undefined) return true;
  try {
    return !op.input.safeParse(decoded).success;
  } catch {
    return true;
  }
}

/** Bytes no protocol accepts, sent to the operation's own address. */
function garbageFor(op: AnyOperation): { what: string; req: Pick<WireRequest, 'method' | 'path' | 'headers'> & { body: string | Buffer } }[] {
  const base = requestFor(op, {});
  const out: ReturnType<typeof garbageFor> = [];
  if (op.service.protocol === 'query') {
    out.push({ what: 'unknown Action', req: { ...base, body: `Action=${op.name}Nope&Version=${op.service.apiVersion}` } });
    out.push({ what: 'no Action', req: { ...base, body: `Version=${op.service.apiVersion}` } });
    return out;
  }
  const hasBody = base.method !== 'GET' && base.method !== 'DELETE';
  if (hasBody) {
    out.push({ what: 'truncated JSON', req: { ...base, body: '{"Name": "x' } });
    out.push({ what: 'JSON array body', req: { ...base, body: '[1,2,3]' } });
    out.push({ what: 'JSON null body', req: { ...base, body: 'null' } });
    out.push({ what: 'invalid UTF-8 in JSON', req: { ...base, body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31]) } });
    out.push({ what: 'wrong content-type with a non-JSON body', req: { ...base, headers: { ...base.headers, 'content-type': 'text/plain' }, body: 'hello=world' } });
  }
  if (op.service.protocol === 'json') {
    out.push({ what: 'unknown target', req: { ...base, headers: { ...base.headers, 'x-amz-target': `${op.service.targetPrefix}.${op.name}Nope` }, body: '{}' } });
  } else {
    const label = /\{(\w+)\+?\}/.exec(op.http!.path);
    if (label) {
      const at = (text: string) => op.http!.path.replace(/\{(\w+)\+?\}/g, (_m, name: string) => (name === label[1] ? text : 'x')).replace(/\?.*$/, '');
      out.push({ what: 'a path label with broken percent-encoding', req: { ...base, path: at('%E0%A4%A'), body: hasBody ? '{}' : '' } });
      out.push({ what: 'a path label over the router limit', req: { ...base, path: at('a'.repeat(8193)), body: hasBody ? '{}' : '' } });
    }
    const taken = new Set(ALL_OPERATIONS.filter((o) => o.http?.path === op.http!.path).map((o) => o.http!.method));
    const method = ['PUT', 'PATCH', 'DELETE', 'POST', 'GET'].find((m) => !taken.has(m as never))!;
    out.push({ what: `wrong method ${method}`, req: { ...base, method, body: '{}' } });
  }
  return out;
}

onEveryEngine('bad input to every operation', (engine) => {
  const runs = engine === 'postgres' ? Math.min(RUNS, RUNS_PG) : RUNS;
  // The trail writes in the background and reports a failed batch as a process warning.
  const auditFailures: string[] = [];
  const onWarning = (w: Error) => void (/audit trail write failed/.test(w.message) && auditFailures.push(w.message));
  before(async () => {
    process.on('warning', onWarning);
    tally = { requests: 0, invariants: 0, accepted: 0, perProtocol: {} };
    t = await startTestServer({ engine });
    tables = await tablesOf(engine);
  });
  after(async () => {
    process.off('warning', onWarning);
    await t?.stop();
    console.log(`# bad input on ${engine}: seed ${SEED}, ${runs} generated inputs per operation, ${ALL_OPERATIONS.length} operations, ${tally.requests} requests, ${tally.invariants} invariants checked over ${tables.filter((n) => !CHANGES_BY_DESIGN.test(n)).length} of ${tables.length} tables, ${tally.accepted} generated inputs accepted by their schema and not sent; by protocol ${JSON.stringify(tally.perProtocol)}`);
  });

  test('idle tables: the store does not change by itself outside the tables excluded by design', async () => {
    const a = await snapshot();
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(changed(a, await snapshot()), []);
  });

  for (const op of ALL_OPERATIONS) {
    const protocol = op.service.protocol;
    test(`${op.service.key}:${op.name} refuses bad input without a 5xx or a change`, async () => {
      const before = await snapshot();
      for (const g of garbageFor(op)) check(op, await send(g.req, op.service.signingName), [...inputCodes(op), ...GARBAGE_CODES[protocol]], g.what);
      await fc.assert(
        fc.asyncProperty(invalidInputs(op.input), async (input) => {
          const req = requestFor(op, input);
          if (!refuses(op, req.decoded)) return void tally.accepted++;
          check(op, await send(req, op.service.signingName), inputCodes(op), `input ${JSON.stringify(input)?.slice(0, 200)}`);
        }),
        { seed: SEED, numRuns: runs, endOnFailure: true, includeErrorInReport: true },
      );
      tally.perProtocol[protocol] = (tally.perProtocol[protocol] ?? 0) + 1;
      assert.deepEqual(changed(before, await snapshot()), [], 'stored state changed');
      tally.invariants++;
    });
  }

  test('requests that name no operation are refused in the shape of the protocol they reached', async () => {
    const ssm = ALL_OPERATIONS.find((o) => o.service.key === 'ssm')!;
    const json = { 'content-type': 'application/x-amz-json-1.1' };
    const cases: [string, Pick<WireRequest, 'method' | 'path' | 'headers'> & { body: string }, string][] = [
      // Without a target the request is the Query protocol's, which wants an Action.
      ['JSON without X-Amz-Target', { method: 'POST', path: '/', headers: json, body: '{}' }, 'InvalidAction'],
      ['an unknown target prefix', { method: 'POST', path: '/', headers: { ...json, 'x-amz-target': 'NoSuchService_20990101.GetThing' }, body: '{}' }, 'UnknownOperationException'],
      ['a target with no dot', { method: 'POST', path: '/', headers: { ...json, 'x-amz-target': 'GetParameter' }, body: '{}' }, 'UnknownOperationException'],
      ['an empty target', { method: 'POST', path: '/', headers: { ...json, 'x-amz-target': '' }, body: '{}' }, 'InvalidAction'],
      ['a path no REST operation answers', { method: 'POST', path: '/no/such/route', headers: { 'content-type': 'application/json' }, body: '{}' }, 'UnknownOperationException'],
    ];
    const before = await snapshot();
    for (const [what, req, code] of cases) check(ssm, await send(req, 'ssm'), [code], what);
    assert.deepEqual(changed(before, await snapshot()), []);
  });

  test('a REST call whose ARN label is longer than 100 characters reaches its operation', async () => {
    // The router refused such labels with its own 414 before any operation ran.
    const arn = `arn:aws:resource-groups:us-east-1:${t.accountId}:group/${'g'.repeat(120)}`;
    await assert.rejects(new ResourceGroupsClient(t.clientConfig()).send(new GetTagsCommand({ Arn: arn })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, 'NotFoundException', e.message);
      assert.equal(e.$metadata.httpStatusCode, 404);
      assert.match(e.message, /Cannot find group/);
      return true;
    });
  });

  test('a body over the limit is refused with 413 on every protocol', async () => {
    const huge = Buffer.alloc(16 * 1024 * 1024 + 1, 0x20);
    const json = ALL_OPERATIONS.find((o) => o.service.protocol === 'json')!;
    const rest = ALL_OPERATIONS.find((o) => o.service.protocol === 'rest-json' && o.http!.method === 'POST')!;
    const query = ALL_OPERATIONS.find((o) => o.service.protocol === 'query')!;
    for (const op of [json, rest, query]) {
      const req = requestFor(op, {});
      const a = await send({ ...req, body: huge }, op.service.signingName);
      assert.equal(a.status, 413, `${op.service.key}:${op.name}: ${a.raw.slice(0, 200)}`);
      tally.invariants++;
    }
  });

  test('a NUL in a value is answered with a 4xx, and the call is kept in the audit trail with the calls around it', async () => {
    // The name's schema allows any character; PostgreSQL text cannot hold U+0000, and the value
    // reached a query (a 500) and the trail's batch insert (every record of the batch lost).
    const ssm = new SSMClient(t.clientConfig());
    const trail = new CloudTrailClient(t.clientConfig());
    await ssm.send(new PutParameterCommand({ Name: '/bad-input/before-nul', Value: 'v', Type: 'String' }));
    const refusal = engine === 'postgres' ? 'ValidationException' : 'ParameterNotFound';
    await assert.rejects(ssm.send(new GetParameterCommand({ Name: 'bad\u0000name' })), (e: Error & { $metadata: { httpStatusCode: number } }) => {
      assert.equal(e.name, refusal, e.message);
      assert.equal(e.$metadata.httpStatusCode, 400);
      return true;
    });
    await ssm.send(new PutParameterCommand({ Name: '/bad-input/after-nul', Value: 'v', Type: 'String' }));
    const events = async (name: string) => ((await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }] }))).Events ?? []).map((e) => JSON.parse(e.CloudTrailEvent!) as { errorCode?: string; requestParameters?: { Name?: string } | null });
    const refused = await events('GetParameter');
    assert.ok(refused.some((e) => e.errorCode === refusal && e.requestParameters?.Name === 'bad\u0000name'), JSON.stringify(refused).slice(0, 500));
    const around = (await events('PutParameter')).map((e) => e.requestParameters?.Name);
    assert.ok(around.includes('/bad-input/before-nul') && around.includes('/bad-input/after-nul'), JSON.stringify(around));
    ssm.destroy();
    trail.destroy();
  });

  test('the audit trail wrote every batch of the refused calls above', () => {
    assert.deepEqual(auditFailures, []);
  });
});
