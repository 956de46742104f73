import type { Timestamp } from '../api/types';

/** JSON 1.1 sends epoch seconds; some Capstan answers send ISO text. */
export function toDate(t: Timestamp | undefined | null): Date | undefined {
  if (t === undefined || t === null || t === '') return undefined;
  const d = typeof t === 'number' ? new Date(t * 1000) : new Date(/^\d+(\.\d+)?$/.test(t) ? Number(t) * 1000 : t);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function formatTime(t: Timestamp | undefined | null): string {
  const d = toDate(t);
  return d ? dateTime.format(d) : '—';
}

export function ago(t: Timestamp | undefined | null, now = Date.now()): string {
  const d = toDate(t);
  if (!d) return '—';
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 0) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400 * 2) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

const num = new Intl.NumberFormat();
export const formatCount = (n: number) => num.format(n);

export const plural = (n: number, one: string, many = `${one}s`) => `${formatCount(n)} ${n === 1 ? one : many}`;
