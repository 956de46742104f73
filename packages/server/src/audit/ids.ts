import { randomUUID } from 'node:crypto';

/**
 * A UUID (version 7) that starts with the time, so audit rows go in at the end of their index
 * instead of anywhere in it, which is what keeps the trail cheap to write at tens of thousands
 * of calls a second. The random part comes from randomUUID's pooled entropy.
 */
export function timeOrderedId(ms: number): string {
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  const random = randomUUID();
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`;
}
