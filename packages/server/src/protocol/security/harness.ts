import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { signedHeaders } from '../../test-support/sign.js';
import type { AnyOperation } from '../registry.js';
import { requestFor } from '../bad-input/wire.js';

/** What a call answered, read in whichever dress its protocol gives errors. */
export interface Answer {
  status: number;
  /** The error code, or '' for a success. */
  code: string;
  message: string;
  raw: string;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Sends `input` to `op` over real HTTP, SigV4-signed with `credentials`, the way its protocol puts it on the wire. */
export async function callAs(endpoint: string, credentials: Credentials, op: AnyOperation, input: unknown, region = 'us-east-1'): Promise<Answer> {
  const req = requestFor(op, input);
  const headers = await signedHeaders({ endpoint, service: op.service.signingName, region, credentials, method: req.method, path: req.path, headers: req.headers, body: req.body });
  const { host: _host, ...sendHeaders } = headers;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const res = await fetch(new URL(req.path, endpoint), { method: req.method, headers: sendHeaders, ...(hasBody ? { body: req.body } : {}) });
  const raw = await res.text();
  if (res.status < 300) return { status: res.status, code: '', message: '', raw };
  return { status: res.status, raw, ...errorOf(res, raw) };
}

function errorOf(res: Response, raw: string): { code: string; message: string } {
  if (raw.startsWith('<')) {
    const m = /<Code>([^<]+)<\/Code><Message>([^<]*)<\/Message>/.exec(raw);
    return m ? { code: m[1]!, message: m[2]! } : { code: '(not a Query error)', message: '' };
  }
  try {
    const body = JSON.parse(raw) as Record<string, unknown>;
    const code = typeof body.__type === 'string' ? body.__type : (res.headers.get('x-amzn-errortype') ?? '(no __type)');
    const message = typeof body.message === 'string' ? body.message : typeof body.Message === 'string' ? body.Message : '';
    return { code: code.replace(/^.*#/, ''), message };
  } catch {
    return { code: '(not JSON)', message: raw.slice(0, 200) };
  }
}

/**
 * Tables that change without any request, or on every request by design: the audit trail (it
 * records refused calls too), the replica registry, the scheduler's leases and Kysely's own.
 */
export const CHANGES_BY_DESIGN = /^(audit_|cluster_|scheduler_leases?$|kysely_)/;
/** The scheduler rewrites due times and leases of its periodic jobs on a timer; which jobs exist is what a call could change. */
const PROJECTIONS: Record<string, string> = { scheduler_jobs: 'kind, dedupe_key, payload' };

export async function tableNames(db: Kysely<never>): Promise<string[]> {
  const rows = await sql<{ name: string }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`.execute(db);
  return rows.rows.map((r) => r.name).filter((n) => !CHANGES_BY_DESIGN.test(n));
}

/** Row count and a hash of every row, per table (SQLite). */
export async function snapshot(db: Kysely<never>, tables: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of tables) {
    const columns = PROJECTIONS[name];
    const query = columns ? sql<Record<string, unknown>>`select ${sql.raw(columns)} from ${sql.table(name)} order by ${sql.raw(columns)}` : sql<Record<string, unknown>>`select * from ${sql.table(name)}`;
    const rows = await query.execute(db);
    const h = createHash('sha256');
    for (const r of rows.rows) h.update(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('base64') : v)));
    out.set(name, `${rows.rows.length}:${h.digest('hex').slice(0, 16)}`);
  }
  return out;
}

export function changedTables(before: Map<string, string>, after: Map<string, string>): string[] {
  return [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
}

/** AccessDenied as each protocol spells it: JSON 1.x answers 400, Query and REST-JSON 403. */
export function isAccessDenied(a: Answer): boolean {
  return a.code === 'AccessDeniedException' || a.code === 'AccessDenied';
}
