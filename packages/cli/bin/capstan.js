#!/usr/bin/env node
// The built CLI; `npm run build` (or `npm start`) produces it.
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('capstan: the CLI is not built yet; run `npm run build` in the repository first');
    process.exit(1);
  }
  throw err;
});
