#!/usr/bin/env node
// The self-contained agent (`npm run build:agent [-- --out DIR] [--no-sea] [--agent-version X.Y.Z]`), in DIR (default dist/agent):
//   capstan-agent.mjs            the agent and every dependency in one ESM file: `node capstan-agent.mjs agent run …`
//   capstan-agent-linux-<arch>   a Node single executable application of it, for nodes without Node.js
//   install-agent.sh             the installer (what the server serves as /capstan/agent/v1/install.sh)
//   SHA256SUMS
// The executable is this Node (process.execPath) with the bundle injected, so it is built for
// this machine's architecture; build on an arm64 machine for arm64 nodes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = resolve(outAt >= 0 ? args[outAt + 1] ?? '' : join(root, 'dist/agent'));
const sea = !args.includes('--no-sea');
if (outAt >= 0 && !args[outAt + 1]) throw new Error('--out needs a directory');
// `--agent-version X.Y.Z`: the version this build reports (AgentVersion), for publishing releases as Capstan-Agent.
const versionAt = args.indexOf('--agent-version');
const agentVersion = versionAt >= 0 ? args[versionAt + 1] ?? '' : undefined;
if (agentVersion !== undefined && !/^[0-9]+(\.[0-9]+){1,3}$/.test(agentVersion)) throw new Error('--agent-version needs a version such as 1.2.3');

/** The Node single-executable fuse, as in Node's documentation. */
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const BUNDLE = 'capstan-agent.mjs';
const started = Date.now();
mkdirSync(out, { recursive: true });

const common = {
  entryPoints: [join(root, 'packages/cli/src/agent-main.ts')],
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  // The workspace packages from their TypeScript sources: no `npm run build` needed first.
  conditions: ['capstan-src'],
  // ws's optional native helpers would be looked up beside wherever the bundle lies; it has its own JavaScript.
  define: { 'process.env.WS_NO_BUFFER_UTIL': '"1"', 'process.env.WS_NO_UTF_8_VALIDATE': '"1"', ...(agentVersion ? { __CAPSTAN_AGENT_VERSION__: JSON.stringify(agentVersion) } : {}) },
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
};

// ESM for `node capstan-agent.mjs`; the CommonJS dependencies (ws, commander) require Node's built-ins.
await build({
  ...common,
  format: 'esm',
  outfile: join(out, BUNDLE),
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __capstanRequire } from 'node:module';\nconst require = __capstanRequire(import.meta.url);" },
});
chmodSync(join(out, BUNDLE), 0o755);
const bundled = Date.now();

let seaName;
if (sea) {
  if (process.platform !== 'linux') throw new Error(`the single executable is built for Linux nodes; this is ${process.platform} (use --no-sea)`);
  seaName = `capstan-agent-linux-${process.arch}`;
  const work = mkdtempSync(join(tmpdir(), 'capstan-sea-'));
  try {
    // A single executable runs one CommonJS script (with only Node's built-ins to require).
    const main = join(work, 'agent.cjs');
    // CommonJS has no `import.meta`: its url is this file's (in a single executable, __filename is
    // the executable), so `createRequire(import.meta.url)` loads from beside it as in the bundle.
    await build({
      ...common,
      format: 'cjs',
      outfile: main,
      define: { ...common.define, 'import.meta.url': '__capstanMetaUrl', 'import.meta.resolve': '__capstanMetaResolve' },
      banner: { js: 'var __capstanMetaUrl = require("node:url").pathToFileURL(__filename).href;\nvar __capstanMetaResolve = (s) => require("node:url").pathToFileURL(require("node:module").createRequire(__filename).resolve(s)).href;' },
    });
    const blob = join(work, 'sea-prep.blob');
    const config = join(work, 'sea-config.json');
    writeFileSync(config, JSON.stringify({ main, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
    const made = spawnSync(process.execPath, ['--experimental-sea-config', config], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`node --experimental-sea-config failed with status ${made.status}: ${made.stderr}`);
    const node = readFileSync(process.execPath);
    if (!node.includes(FUSE)) throw new Error(`${process.execPath} has no single-executable fuse; use a Node from nodejs.org`);
    const target = join(out, `.${seaName}.tmp`);
    copyFileSync(process.execPath, target);
    chmodSync(target, 0o755);
    // Debug symbols (an eighth of this Node) are no use on a node: strip them, before injecting so
    // the injected blob is left as postject placed it. Without binutils' strip, keep them.
    const stripped = spawnSync('strip', [target], { encoding: 'utf8' });
    if (stripped.error && stripped.error.code !== 'ENOENT') throw stripped.error;
    if (!stripped.error && stripped.status !== 0) throw new Error(`strip failed: ${stripped.stderr}`);
    const { inject } = createRequire(import.meta.url)('postject');
    // postject's ELF library warns about note sections it leaves alone (harmless, as Node's
    // documentation says); its warnings are shown only when the injection fails.
    const warn = console.warn;
    const warnings = [];
    console.warn = (...a) => warnings.push(a.join(' '));
    try {
      await inject(target, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: FUSE });
    } catch (e) {
      for (const w of warnings) warn(w);
      rmSync(target, { force: true });
      throw e;
    } finally {
      console.warn = warn;
    }
    renameSync(target, join(out, seaName));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
const built = Date.now();

copyFileSync(join(root, 'scripts/install-agent.sh'), join(out, 'install-agent.sh'));
chmodSync(join(out, 'install-agent.sh'), 0o755);
const files = [BUNDLE, ...(seaName ? [seaName] : []), 'install-agent.sh'];
const sums = files.map((f) => `${createHash('sha256').update(readFileSync(join(out, f))).digest('hex')}  ${f}\n`).join('');
writeFileSync(join(out, 'SHA256SUMS'), sums);

const mb = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
console.log(`built the agent in ${out}`);
for (const f of files) console.log(`  ${f.padEnd(28)} ${mb(statSync(join(out, f)).size).padStart(10)}`);
console.log(`  (bundle ${((bundled - started) / 1000).toFixed(1)} s${seaName ? `, single executable ${((built - bundled) / 1000).toFixed(1)} s` : ''})`);
