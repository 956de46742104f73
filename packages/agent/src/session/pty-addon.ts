import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * node-pty's native addon as the built agent ships it (`npm run build:agent`): one file beside
 * the agent, since a single executable cannot carry a native module and a node need not have npm.
 * The build puts this loader in place of node-pty's own, which looks in node-pty's package
 * directory; run from the source tree, node-pty loads from node_modules as usual.
 */
export const PTY_ADDON = `capstan-agent-pty-${process.platform}-${process.arch}.node`;

/**
 * Beside the agent (the bundle, the single executable, or a release's directory), then
 * PREFIX/lib/capstan-agent for the single executable install-agent.sh puts in PREFIX/bin.
 */
export function ptyAddonPlaces(program: string): string[] {
  const dir = dirname(program);
  return [join(dir, PTY_ADDON), join(dir, '..', 'lib', 'capstan-agent', PTY_ADDON)];
}

let addon: Record<string, unknown> | undefined;

function load(): Record<string, unknown> {
  if (addon) return addon;
  // import.meta.url is the bundle's file, or in the single executable the executable's.
  const places = ptyAddonPlaces(fileURLToPath(import.meta.url));
  const path = places.find((p) => existsSync(p));
  if (!path) {
    throw new Error(`interactive shells need node-pty's native addon ${PTY_ADDON}, which is not installed (looked for ${places.join(' and ')}): install-agent.sh places it, or download it from the server's /capstan/agent/v1/download/${PTY_ADDON} beside the agent`);
  }
  const m = { exports: {} as Record<string, unknown> };
  try {
    process.dlopen(m, path);
  } catch (e) {
    throw new Error(`interactive shells need node-pty's native addon, and ${path} did not load: ${(e as Error).message}`);
  }
  return (addon = m.exports);
}

/**
 * node-pty's `loadNativeModule`, for the bundle: node-pty asks for its addon when its module
 * loads, so the addon is opened at the first use of one of its functions instead. A node without
 * it then runs every other kind of session, and a shell fails saying what is missing.
 */
export function loadNativeModule(_name: string): { dir: string; module: Record<string, unknown> } {
  const module = new Proxy({} as Record<string, unknown>, { get: (_t, key) => load()[key as string] });
  return { dir: '.', module };
}
