// Writes docs/coverage.md from the operation registry; `--check` fails when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { ALL_OPERATIONS } from '@capstan/server';
import { readTestFiles, renderCoverage } from '../packages/server/src/protocol/coverage.js';

const root = new URL('..', import.meta.url).pathname;
const file = `${root}docs/coverage.md`;
const fresh = renderCoverage(ALL_OPERATIONS, readTestFiles(root));
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(file, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== fresh) {
    console.error('docs/coverage.md is stale: run `npm run coverage` and commit it');
    process.exit(1);
  }
  console.log('docs/coverage.md is current');
} else {
  writeFileSync(file, fresh);
  console.log(`wrote ${file}`);
}
