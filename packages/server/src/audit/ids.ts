import { randomUUID } from 'node:crypto';

let prefixAt = -1;
let prefix = '';

/**
 * A UUID (version 7) that starts with the time, so audit rows go in at the end of their index
 * instead of anywhere in it, which is what keeps the trail cheap to write at tens of thousands
 * of calls a second. The random part comes from randomUUID's pooled entropy; calls in the same
 * millisecond share the formatted time. A caller holding a fresh random UUID already (a call's
 * request id) may give it, and its random part is used.
 */
export function timeOrderedId(ms: number, uuid: string = randomUUID()): string {
  const at = Math.max(0, Math.floor(ms));
  if (at !== prefixAt) {
    const time = at.toString(16).padStart(12, '0').slice(-12);
    prefixAt = at;
    prefix = `${time.slice(0, 8)}-${time.slice(8)}-7`;
  }
  return prefix + uuid.slice(15);
}
