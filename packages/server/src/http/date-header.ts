import type { Clock } from '../scheduler/clock.js';

/**
 * The HTTP Date header from the server's clock (SDKs correct their clock skew from it),
 * formatted once per second.
 */
export function dateHeader(clock: Clock): () => string {
  let second = -1;
  let text = '';
  return () => {
    const now = Math.floor(clock.now() / 1000);
    if (now !== second) {
      second = now;
      text = new Date(now * 1000).toUTCString();
    }
    return text;
  };
}
