import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings that keep an agent process small for its whole life; an agent must fit on a 512 MB
 * node beside what the node is for, and it is not throughput-bound. Both flags are read whenever
 * V8 decides, so they can be set once the process runs: that is what lets the single-executable
 * build, which takes no V8 flags on its command line, carry them. Only agent processes call this:
 * the server, which `capstan start` can run beside an in-process agent, keeps V8's defaults.
 *
 * - The young generation stays at its starting size (1 MB semi-spaces). V8 otherwise doubles it
 *   up to 16 MB semi-spaces whenever objects survive scavenges, which a patch scan or an
 *   inventory pass does by the thousand: the agent's private memory then grows by some 6 MB that
 *   it holds long after the job. Small semi-spaces cost more, shorter scavenges.
 * - No optimizing compiler (TurboFan): code runs in the interpreter and the baseline compiler
 *   only. A patch scan of 60,000 packages otherwise optimises some fifty functions, which pages
 *   in 4 MB of the compiler's own machine code and leaves 4 MB more of its working memory in
 *   the allocator arenas of V8's worker threads: 8 of the 18 MB the scan added to the agent.
 *   The agent's hot paths are written to do their heavy work in native code (Buffer searches
 *   over package lists, hashing and ciphers of session data), so this costs little: that scan
 *   takes 0.66 s of CPU against 0.57 s with TurboFan (bench/patching).
 */
export function keepAgentMemorySmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString('--max-opt=1');
}
