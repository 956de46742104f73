#!/usr/bin/env node
// `npm run bench -- NAME` runs bench/NAME.ts; without a name it lists the benchmarks.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const names = readdirSync(`${root}bench`).filter((f) => f.endsWith('.ts') && !f.startsWith('_')).map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || !names.includes(name)) {
  console.error(`usage: npm run bench -- NAME [options]\nbenchmarks: ${names.join(', ')}`);
  process.exit(name ? 1 : 0);
}
// The benchmarks run the server and agent as built, as `npm start` runs them: the TypeScript
// build is brought up to date first (a second or so when nothing changed).
const build = spawnSync('npx', ['tsc', '-b'], { stdio: 'inherit', cwd: root });
if (build.status !== 0) {
  console.error('the TypeScript build failed; fix it before benchmarking');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--conditions=capstan-src', '--import', 'tsx', `${root}bench/${name}.ts`, ...rest], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
