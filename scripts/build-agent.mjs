#!/usr/bin/env node
// The self-contained agent (`npm run build:agent [-- --out DIR] [--no-sea] [--agent-version X.Y.Z]`), in DIR (default dist/agent):
//   capstan-agent.mjs            the agent and every dependency in one ESM file: `node capstan-agent.mjs agent run …`
//   capstan-agent-linux-<arch>   a Node single executable application of it, for nodes without Node.js
//   capstan-agent-pty-linux-<arch>.node  node-pty's native addon, for interactive shells: both builds
//                                look for it beside themselves (packages/agent/src/session/pty-addon.ts)
//   install-agent.sh             the installer (what the server serves as /capstan/agent/v1/install.sh)
//   SHA256SUMS
// The executable is this Node (process.execPath) with the bundle injected, so it is built for
// this machine's architecture; build on an arm64 machine for arm64 nodes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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

// node-pty's JavaScript goes into the bundle; its own loader, which looks for the addon in
// node-pty's package directory, is replaced by Capstan's, which looks beside the agent.
const ptyLoader = join(root, 'packages/agent/src/session/pty-addon.ts');
const ptyAddon = {
  name: 'capstan-pty-addon',
  setup(b) {
    b.onLoad({ filter: /[\\/]node-pty[\\/]lib[\\/]utils\.js$/ }, (a) => ({
      contents: `${readFileSync(a.path, 'utf8')}\nexports.loadNativeModule = require(${JSON.stringify(ptyLoader)}).loadNativeModule;\n`,
      loader: 'js',
    }));
  },
};
const ptyAddonName = `capstan-agent-pty-linux-${process.arch}.node`;
const ptyAddonSource = () => {
  const nodePty = dirname(createRequire(join(root, 'packages/agent/package.json')).resolve('node-pty/package.json'));
  for (const d of ['build/Release', `prebuilds/${process.platform}-${process.arch}`]) {
    if (existsSync(join(nodePty, d, 'pty.node'))) return join(nodePty, d, 'pty.node');
  }
  throw new Error(`node-pty has no pty.node for ${process.platform}-${process.arch} in ${nodePty} (build/Release or prebuilds/): reinstall it with npm`);
};

/**
 * esbuild escapes non-ASCII characters in strings but leaves them in regular expression literals;
 * one such character makes V8 hold the whole source, which it keeps for the process's life, as
 * two bytes a character. The minified output has no comments, so what is left is in literals
 * (a regular expression, a string or a template), where a \u escape means the same character.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  if (/^[\x00-\x7f]*$/.test(text)) return;
  writeFileSync(file, text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}

const common = {
  plugins: [ptyAddon],
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
  // CommonJS dependencies also use __filename and __dirname (node-pty does, at load): where they
  // are not declared, they name the bundle's file and directory.
  define: { ...common.define, __filename: '__capstanFilename', __dirname: '__capstanDirname' },
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __capstanRequire } from 'node:module';\nimport { fileURLToPath as __capstanPath } from 'node:url';\nconst require = __capstanRequire(import.meta.url);\nconst __capstanFilename = __capstanPath(import.meta.url);\nconst __capstanDirname = __capstanPath(new URL('.', import.meta.url));" },
});
asciiOnly(join(out, BUNDLE));
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
    asciiOnly(main);
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

// Only Linux nodes run the agent, so only a Linux addon is shipped.
if (process.platform === 'linux') {
  copyFileSync(ptyAddonSource(), join(out, ptyAddonName));
  chmodSync(join(out, ptyAddonName), 0o644);
}
copyFileSync(join(root, 'scripts/install-agent.sh'), join(out, 'install-agent.sh'));
chmodSync(join(out, 'install-agent.sh'), 0o755);
const files = [BUNDLE, ...(seaName ? [seaName] : []), ...(process.platform === 'linux' ? [ptyAddonName] : []), 'install-agent.sh'];
const sums = files.map((f) => `${createHash('sha256').update(readFileSync(join(out, f))).digest('hex')}  ${f}\n`).join('');
writeFileSync(join(out, 'SHA256SUMS'), sums);

const mb = (n) => (n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);
console.log(`built the agent in ${out}`);
for (const f of files) console.log(`  ${f.padEnd(36)} ${mb(statSync(join(out, f)).size).padStart(10)}`);
console.log(`  (bundle ${((bundled - started) / 1000).toFixed(1)} s${seaName ? `, single executable ${((built - bundled) / 1000).toFixed(1)} s` : ''})`);
