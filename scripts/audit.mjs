#!/usr/bin/env node
// `npm audit` of what Capstan ships (production dependencies): fails on a high or critical
// advisory. A registry that does not serve npm's advisory endpoint (a mirror or proxy answering
// 405, or no network) cannot be asked; that is said plainly and does not fail the run, because
// it says nothing about the dependencies.
import { spawnSync } from 'node:child_process';

const r = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
let report;
try {
  report = JSON.parse(r.stdout);
} catch {
  console.error(`npm audit gave no report (exit ${r.status}): ${(r.stderr || r.stdout).trim().slice(0, 500)}`);
  process.exit(1);
}
if (report.statusCode || report.error || !report.metadata) {
  const why = report.message ?? report.error?.summary ?? JSON.stringify(report).slice(0, 300);
  console.log(`npm audit: skipped, the registry's advisory endpoint did not answer (${why})`);
  process.exit(0);
}
const v = report.metadata.vulnerabilities;
console.log(`npm audit (production dependencies): ${v.critical} critical, ${v.high} high, ${v.moderate} moderate, ${v.low} low`);
if (v.critical + v.high > 0) {
  for (const [name, a] of Object.entries(report.vulnerabilities ?? {})) if (a.severity === 'high' || a.severity === 'critical') console.log(`  ${a.severity}: ${name} ${a.range ?? ''}`);
  process.exit(1);
}
