// Parameter Store throughput on one server process with its default settings:
//   GetParameter (String), GetParameter WithDecryption (SecureString), GetParametersByPath pages
//   over 10,000 parameters — each pre-signed with SigV4 and replayed by wrk from its own process —
//   and PutParameter through the AWS SDK, unbatched. Beside them, a bare node:http server answering
//   GetParameter's response body with the same load generator.
//   npm run bench -- parameters [--engine sqlite|postgres] [--seconds 10] [--connections 64] [--count 10000] [--settle 20]
import { parseArgs } from 'node:util';
import { GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { freshSchema } from '../packages/server/src/test-support/postgres.js';
import { signedHeaders } from '../packages/server/src/test-support/sign.js';
import { ADMIN, cpuMicros, startBareNode, startCapstan, wrk, type LoadResult, type RawRequest } from './_harness.js';

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'sqlite' },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '64' },
    count: { type: 'string', default: '10000' },
    settle: { type: 'string', default: '20' },
  },
});
const opts = { seconds: Number(values.seconds), connections: Number(values.connections), threads: 1 };
const count = Number(values.count);
const schema = values.engine === 'postgres' ? await freshSchema() : undefined;
const server = await startCapstan(schema?.url);
const results: { name: string; target: string; ok: boolean; detail: string }[] = [];

async function signed(target: string, body: object): Promise<RawRequest> {
  const text = JSON.stringify(body);
  const headers = await signedHeaders({ endpoint: server.url, service: 'ssm', credentials: ADMIN, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AmazonSSM.${target}` }, body: text });
  return { method: 'POST', path: '/', headers, body: text };
}

async function check(req: RawRequest): Promise<string> {
  const res = await fetch(server.url, { method: 'POST', headers: Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host')), body: req.body });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${req.headers['x-amz-target']} fails: ${text}`);
  return text;
}

/**
 * One measured run against a process, with the CPU time the process spent per response: on a
 * shared machine throughput moves with everyone else's load, CPU per request much less.
 */
async function measure(proc: { url: string; pid?: number }, reqs: RawRequest | RawRequest[]): Promise<LoadResult & { cpuMicros: number }> {
  const before = proc.pid ? cpuMicros(proc.pid) : NaN;
  const r = await wrk(proc.url, reqs, opts);
  return { ...r, cpuMicros: proc.pid ? (cpuMicros(proc.pid) - before) / r.requests : NaN };
}

async function load(name: string, reqs: RawRequest | RawRequest[], minRps: number, maxP99?: number): Promise<LoadResult & { cpuMicros: number }> {
  await wrk(server.url, reqs, { ...opts, seconds: 2 }); // warm-up
  const r = await measure(server, reqs);
  const ok = r.requestsPerSecond >= minRps && (maxP99 === undefined || r.p99ms < maxP99) && r.non2xx === 0;
  results.push({ name, target: `≥ ${minRps}/s${maxP99 ? `, p99 < ${maxP99} ms` : ''}`, ok, detail: `${Math.round(r.requestsPerSecond)} req/s, p50 ${r.p50ms.toFixed(2)} ms, p99 ${r.p99ms.toFixed(2)} ms, non-2xx ${r.non2xx}` });
  return r;
}

let bareRps = 0;
let getRps = 0;
const cpu: { name: string; micros: number }[] = [];
try {
  const ssm = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  // PutParameter, unbatched: one call per parameter, 32 in flight.
  const started = performance.now();
  let next = 0;
  const latencies: number[] = [];
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < count) {
        const i = next++;
        const t0 = performance.now();
        await ssm.send(new PutParameterCommand({ Name: `/bench/p/${String(i).padStart(6, '0')}`, Value: `value-${i}`, Type: 'String' }));
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const putRps = count / ((performance.now() - started) / 1000);
  ssm.destroy();
  latencies.sort((a, b) => a - b);
  results.push({ name: `PutParameter (${count}, SDK, 32 in flight)`, target: '≥ 500/s', ok: putRps >= 500, detail: `${Math.round(putRps)} req/s, p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(2)} ms, p99 ${latencies[Math.floor(latencies.length * 0.99)]!.toFixed(2)} ms` });

  const admin = new SSMClient({ endpoint: server.url, region: 'us-east-1', credentials: ADMIN, maxAttempts: 1 });
  // Standard holds 10,000 per region, all taken by the path above.
  await admin.send(new PutParameterCommand({ Name: '/bench/one', Value: 'postgres://db.internal:5432/app', Type: 'String', Tier: 'Advanced' }));
  await admin.send(new PutParameterCommand({ Name: '/bench/secret', Value: 'correct horse battery staple', Type: 'SecureString', Tier: 'Advanced' }));

  // Reads are measured in steady state: after 10,000 writes PostgreSQL's autovacuum and
  // checkpointer run for a while, and reads measured during that say little.
  await new Promise((r) => setTimeout(r, Number(values.settle) * 1000));
  const getOne = await signed('GetParameter', { Name: '/bench/one' });
  const sample = await check(getOne);
  const get = await load('GetParameter (String)', getOne, 20_000, 20);
  getRps = get.requestsPerSecond;
  cpu.push({ name: 'GetParameter (String), capstan server', micros: get.cpuMicros });

  const getSecret = await signed('GetParameter', { Name: '/bench/secret', WithDecryption: true });
  if (!(await check(getSecret)).includes('correct horse')) throw new Error('the SecureString did not decrypt');
  await load('GetParameter WithDecryption (SecureString)', getSecret, 5_000);

  // Pre-sign 200 consecutive pages of the 10,000-parameter path, then replay them in turn.
  const pages: RawRequest[] = [];
  let token: string | undefined;
  for (let i = 0; i < 200; i++) {
    const body = { Path: '/bench/p', Recursive: true, MaxResults: 10, ...(token ? { NextToken: token } : {}) };
    pages.push(await signed('GetParametersByPath', body));
    token = (await admin.send(new GetParametersByPathCommand(body))).NextToken;
    if (!token) break;
  }
  await load(`GetParametersByPath pages (10 per page, ${pages.length} pages of ${count})`, pages, 2_000);

  const bare = await startBareNode(sample);
  try {
    await wrk(bare.url, getOne, { ...opts, seconds: 2 });
    const b = await measure(bare, getOne);
    bareRps = b.requestsPerSecond;
    cpu.push({ name: 'GetParameter\'s response, bare node:http', micros: b.cpuMicros });
  } finally {
    await bare.stop();
  }
  results.push({ name: 'GetParameter / bare node:http', target: '≥ 40 %', ok: getRps / bareRps >= 0.4, detail: `${((100 * getRps) / bareRps).toFixed(0)} % of ${Math.round(bareRps)} req/s` });
} finally {
  await server.stop();
  await schema?.drop();
}

console.log(`Parameter Store on ${values.engine}, ${opts.connections} connections, ${opts.seconds} s per run, wrk in its own process`);
for (const r of results) console.log(`  ${r.ok ? 'ok  ' : 'MISS'} ${r.name.padEnd(62)} ${r.target.padEnd(22)} ${r.detail}`);
// All of the process's threads (the audit writer's too), from /proc, divided by the responses wrk counted.
for (const c of cpu) console.log(`  CPU per request  ${c.name.padEnd(52)} ${c.micros.toFixed(1)} µs`);
if (results.some((r) => !r.ok)) process.exitCode = 1;
