/**
 * @capstan/wire/session is written against Node's global `Buffer`; the `buffer` package is that
 * API on Uint8Array (v6 has the BigInt reads and writes of the AgentMessage header). Imported
 * first by ../shell/wire.ts, so it runs before any wire module is evaluated.
 */
// The file, not the bare name: in Node (the unit tests) `buffer` is the built-in module.
import { Buffer as BrowserBuffer } from 'buffer/index.js';

const g = globalThis as { Buffer?: unknown };
g.Buffer ??= BrowserBuffer;
