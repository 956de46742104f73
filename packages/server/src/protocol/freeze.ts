/**
 * Freezes a value and everything reachable through its properties, so what is cached by
 * identity (a policy document, a kept answer) cannot be changed behind the cache. Dates and
 * buffers are left as they are: freezing a buffer with bytes in it throws.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value) && !(value instanceof Date) && !ArrayBuffer.isView(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
