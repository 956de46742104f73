/** rpm's rpmvercmp: alternating runs of digits and letters, `~` sorts before anything, `^` after the end. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const sep = /[^A-Za-z0-9~^]/;
  while (i < a.length || j < b.length) {
    while (i < a.length && sep.test(a[i]!)) i++;
    while (j < b.length && sep.test(b[j]!)) j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const digits = /[0-9]/.test(a[i]!);
    const run = digits ? /^[0-9]+/ : /^[A-Za-z]+/;
    const x = run.exec(a.slice(i))?.[0] ?? '';
    const y = run.exec(b.slice(j))?.[0] ?? '';
    if (!y) return digits ? 1 : -1;
    i += x.length;
    j += y.length;
    if (digits) {
      const xs = x.replace(/^0+/, '');
      const ys = y.replace(/^0+/, '');
      if (xs.length !== ys.length) return xs.length > ys.length ? 1 : -1;
      if (xs !== ys) return xs > ys ? 1 : -1;
    } else if (x !== y) return x > y ? 1 : -1;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

/** Compares `[epoch:]version-release` strings. */
export function compareEvr(a: string, b: string): number {
  const split = (s: string) => {
    const colon = s.indexOf(':');
    const epoch = colon >= 0 ? Number(s.slice(0, colon)) || 0 : 0;
    const rest = colon >= 0 ? s.slice(colon + 1) : s;
    const dash = rest.lastIndexOf('-');
    return { epoch, version: dash >= 0 ? rest.slice(0, dash) : rest, release: dash >= 0 ? rest.slice(dash + 1) : '' };
  };
  const x = split(a);
  const y = split(b);
  if (x.epoch !== y.epoch) return x.epoch > y.epoch ? 1 : -1;
  return rpmvercmp(x.version, y.version) || rpmvercmp(x.release, y.release);
}
