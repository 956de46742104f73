import type { Timestamp } from '../../api/types';
import { toDate } from '../../lib/format';

/** `arn:aws:iam::111122223333:user/admin` reads as `user/admin`; anything else as it is. */
export function shortArn(arn: string | undefined): string {
  if (!arn) return '—';
  const m = /^arn:[^:]+:(iam|sts)::\d{12}:(.+)$/.exec(arn);
  return m ? m[2]! : arn;
}

/** How long from start to end (or to `now` while it runs): `850 ms`, `12 s`, `3 min 4 s`, `2 h 5 min`. */
export function duration(start: Timestamp | undefined, end: Timestamp | undefined, now = Date.now()): string {
  const a = toDate(start);
  if (!a) return '—';
  const b = toDate(end)?.getTime() ?? now;
  const ms = Math.max(0, b - a.getTime());
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}
