/**
 * MaxConcurrency and MaxErrors as numbers for a command's target count. A percentage is of the
 * targets, rounded down (AWS: 10% of 50 targets allows 5 errors and stops at the sixth); a
 * concurrency never falls below one node.
 */
export function concurrencyLimit(value: string, targets: number): number {
  if (value.endsWith('%')) return Math.max(1, Math.floor((targets * Number(value.slice(0, -1))) / 100));
  return Number(value);
}

export function errorLimit(value: string, targets: number): number {
  if (value.endsWith('%')) return Math.floor((targets * Number(value.slice(0, -1))) / 100);
  return Number(value);
}

export const CONCURRENCY_PATTERN = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
export const ERRORS_PATTERN = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
