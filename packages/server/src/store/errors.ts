/** A write lost a race on a unique key (SQLite or PostgreSQL). */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string } | undefined;
  if (!err) return false;
  if (err.code === '23505') return true;
  return typeof err.code === 'string' && err.code.startsWith('SQLITE_CONSTRAINT') && /UNIQUE|PRIMARY/.test(err.code + (err.message ?? ''));
}
