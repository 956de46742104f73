import assert from 'node:assert/strict';

/**
 * Polls `probe` in real time until it answers something other than undefined or false, for
 * tests that watch real processes; `detail` adds what the test knows to a timeout's message.
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, o: { ms?: number; every?: number; detail?: () => string } = {}): Promise<T> {
  const ms = o.ms ?? 30_000;
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}${o.detail ? `\n${o.detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, o.every ?? 100));
  }
}
