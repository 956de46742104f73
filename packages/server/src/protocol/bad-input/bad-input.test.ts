import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { sql } from 'kysely';
import { GetTagsCommand, ResourceGroupsClient } from '@aws-sdk/client-resource-groups';
import { ALL_OPERATIONS } from '../../server.js';
import { signedHeaders } from '../../test-support/sign.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import type { AnyOperation, Protocol } from '../registry.js';
import { invalidInputs } from './mutations.js';
import { requestFor, type WireRequest } from './wire.js';

/**
 * Every registered operation, sent inputs its schema refuses and bytes no protocol accepts,
 * signed as the admin through the real HTTP path. Each must answer a 4xx in the protocol's
 * error shape with a validation code, and leave the store as it was. SQLite only: the
 * invariants are about the front of the pipeline, which is the same on both engines.
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

interface Tally {
  requests: number;
  invariants: number;
}
const tally: Tally = { requests: 0, invariants: 0 };
/** Generated inputs the schema accepts are valid calls, not bad input: they are counted and not sent. */
let accepted = 0;
const perProtocol: Record<string, number> = {};

let t: TestServer;
let tables: string[] = [];

before(async () => {
  t = await startTestServer();
  const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(t.server.core.database.db);
  tables = rows.rows.map((r) => r.name);
});
after(async () => {
  await t.stop();
  console.log(`# bad input: seed ${SEED}, ${RUNS} generated inputs per operation, ${ALL_OPERATIONS.length} operations, ${tally.requests} requests, ${tally.invariants} invariants checked over ${tables.filter((n) => !CHANGES_BY_DESIGN.test(n)).length} of ${tables.length} tables, ${accepted} generated inputs accepted by their schema and not sent; by protocol ${JSON.stringify(perProtocol)}`);
});

async function snapshot(only?: (name: string) => boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of tables) {
    if (only ? !only(name) : CHANGES_BY_DESIGN.test(name)) continue;
    const columns = PROJECTIONS[name];
    const query = columns ? sql<Record<string, unknown>>`select ${sql.raw(columns)} from ${sql.table(name)} order by ${sql.raw(columns)}` : sql<Record<string, unknown>>`select * from ${sql.table(name)}`;
    const rows = await query.execute(t.server.core.database.db);
    const h = createHash('sha256');
    for (const r of rows.rows) h.update(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('base64') : v)));
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

describe('bad input to every operation', () => {
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
          if (!refuses(op, req.decoded)) return void accepted++;
          check(op, await send(req, op.service.signingName), inputCodes(op), `input ${JSON.stringify(input)?.slice(0, 200)}`);
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true, includeErrorInReport: true },
      );
      perProtocol[protocol] = (perProtocol[protocol] ?? 0) + 1;
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
});
