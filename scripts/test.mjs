#!/usr/bin/env node
// Runs every *.test.ts under packages/ with node's own test runner, TypeScript through tsx,
// workspace packages resolved to their sources. Extra arguments narrow the files by substring.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function find(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) find(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const files = find(join(root, 'packages')).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const args = ['--conditions=capstan-src', '--import', 'tsx', '--test', '--test-concurrency=4', '--test-timeout=300000',
  '--test-reporter=tap', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/failures-reporter.mjs', '--test-reporter-destination=stdout',
  ...files];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } });
process.exit(result.status ?? 1);
