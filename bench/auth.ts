// The cost of Capstan's request pipeline: SigV4 verification, credential lookup, throttling,
// authorization and the audit trail, measured with STS GetCallerIdentity replayed by wrk from
// its own process, beside a bare node:http server answering a fixed body.
//   npm run bench -- auth [--seconds 10] [--connections 64]
import { parseArgs } from 'node:util';
import { signedHeaders } from '../packages/server/src/test-support/sign.js';
import { ADMIN, startBareNode, startCapstan, wrk } from './_harness.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '64' } } });
const opts = { seconds: Number(values.seconds), connections: Number(values.connections), threads: 1 };
const body = 'Action=GetCallerIdentity&Version=2011-06-15';

const capstan = await startCapstan();
let result;
let headers: Record<string, string> = {};
try {
  headers = await signedHeaders({ endpoint: capstan.url, service: 'sts', credentials: ADMIN, headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body });
  const check = await fetch(capstan.url, { method: 'POST', headers: Object.fromEntries(Object.entries(headers).filter(([k]) => k !== 'host')), body });
  const sample = await check.text();
  if (check.status !== 200) throw new Error(`the signed request fails: ${sample}`);
  await wrk(capstan.url, { method: 'POST', path: '/', headers, body }, { ...opts, seconds: 2 }); // warm-up
  result = { capstan: await wrk(capstan.url, { method: 'POST', path: '/', headers, body }, opts), sample };
} finally {
  await capstan.stop();
}
const bare = await startBareNode(result.sample);
let baseline;
try {
  await wrk(bare.url, { method: 'POST', path: '/', headers, body }, { ...opts, seconds: 2 });
  baseline = await wrk(bare.url, { method: 'POST', path: '/', headers, body }, opts);
} finally {
  await bare.stop();
}
const c = result.capstan;
console.log(`GetCallerIdentity, SigV4-signed, ${opts.connections} connections, ${opts.seconds} s, wrk in its own process`);
console.log(`  capstan (SQLite):  ${Math.round(c.requestsPerSecond)} req/s  p50 ${c.p50ms.toFixed(2)} ms  p99 ${c.p99ms.toFixed(2)} ms  non-2xx ${c.non2xx}`);
console.log(`  bare node:http:    ${Math.round(baseline.requestsPerSecond)} req/s  p50 ${baseline.p50ms.toFixed(2)} ms  p99 ${baseline.p99ms.toFixed(2)} ms`);
console.log(`  capstan / bare:    ${((100 * c.requestsPerSecond) / baseline.requestsPerSecond).toFixed(0)} %`);
if (c.non2xx > 0) process.exitCode = 1;
