import { randomUUID } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * A UUID (version 7) of the event's time with a counter after it (RFC 9562, method 1), so the
 * events of one process sort in the order they were written even within a millisecond (a
 * command's statuses, a batch of invocations), and rows go in at the end of their index.
 */
export function eventId(ms: number): string {
  let at = Math.max(0, Math.floor(ms));
  if (at > lastMs) {
    lastMs = at;
    counter = 0;
  } else {
    // The same millisecond (or a clock set back): count on from the last id.
    at = lastMs;
    if (++counter > 0xfff) {
      lastMs = at = lastMs + 1;
      counter = 0;
    }
  }
  const time = at.toString(16).padStart(12, '0').slice(-12);
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8)}-7${counter.toString(16).padStart(3, '0')}-${random.slice(19)}`;
}
