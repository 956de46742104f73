import { setFlagsFromString } from 'node:v8';

/**
 * Keeps V8's young generation at its starting size (1 MB semi-spaces) for the life of an agent
 * process. V8 otherwise doubles it up to 16 MB semi-spaces whenever objects survive scavenges,
 * which a patch scan or an inventory pass does by the thousand: the agent's private memory then
 * grows by some 6 MB that it holds long after the job. Small semi-spaces cost more, shorter
 * scavenges; an agent is not throughput-bound, and it must stay small on a 512 MB node.
 *
 * The growth factor is read each time V8 decides to grow the young generation, so it can be
 * set once the process runs; that is what lets the single-executable build, which takes no
 * V8 flags on its command line, carry the same setting. Only agent processes call this: the
 * server, which `capstan start` can run beside an in-process agent, keeps V8's defaults.
 */
export function keepYoungGenerationSmall(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}
