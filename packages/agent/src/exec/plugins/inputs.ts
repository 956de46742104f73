import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export const DEFAULT_TIMEOUT_SECONDS = 3600;
const MIN_TIMEOUT_SECONDS = 5;
const MAX_TIMEOUT_SECONDS = 172_800;

/** AWS's rule: a number or numeric string in [5, 172800], anything else means 3600. */
export function timeoutSeconds(...candidates: unknown[]): number {
  const v = candidates.find((c) => c !== undefined && c !== '');
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= MIN_TIMEOUT_SECONDS && n <= MAX_TIMEOUT_SECONDS ? n : DEFAULT_TIMEOUT_SECONDS;
}

export function optionalString(inputs: Record<string, unknown>, key: string): string | undefined {
  const v = inputs[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw new Error(`input ${key} must be a string`);
}

/** Map-typed inputs arrive as objects, or as JSON text when they went through a String parameter. */
export function objectInput(inputs: Record<string, unknown>, key: string): Record<string, unknown> {
  let v = inputs[key];
  if (v === undefined || v === null || v === '') return {};
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      throw new Error(`input ${key} is not valid JSON`);
    }
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`input ${key} must be an object`);
  return v as Record<string, unknown>;
}

/** Relative paths are under the downloads dir, so aws:downloadContent output can be named simply. */
export function underDownloads(downloadsDir: string, path: string): string {
  return isAbsolute(path) ? path : join(downloadsDir, path);
}

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}
