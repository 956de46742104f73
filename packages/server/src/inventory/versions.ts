/**
 * Version order for inventory filters (LessThan / GreaterThan): a dpkg-like natural order.
 *
 * A value is cut into runs of digits and runs of anything else. Runs are compared pairwise:
 * two digit runs by numeric value (so 3.0.9 < 3.0.13), two other runs by character order,
 * except that `~` sorts before everything, even the end of the string (1.0~rc1 < 1.0).
 * A digit run sorts after a non-digit run; when one value runs out first, it is the smaller
 * (1.0 < 1.0.1, 3.0.2 < 3.0.2a). An epoch (`1:2.3`) is compared first, as a number (none is 0);
 * a Debian release (`3.0.2-0ubuntu1.15`) is simply more runs, so it sorts after its upstream version.
 */
export function compareVersions(a: string, b: string): number {
  const [ea, ra] = epoch(a);
  const [eb, rb] = epoch(b);
  if (ea !== eb) return compareDigits(ea, eb);
  return compareRest(ra, rb);
}

function epoch(v: string): [string, string] {
  const m = /^(\d+):(.*)$/.exec(v);
  return m ? [m[1]!, m[2]!] : ['0', v];
}

function compareRest(a: string, b: string): number {
  const ta = tokens(a);
  const tb = tokens(b);
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return y!.startsWith('~') ? 1 : -1;
    if (y === undefined) return x.startsWith('~') ? -1 : 1;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const c = compareDigits(x, y);
      if (c !== 0) return c;
    } else if (dx !== dy) {
      if (!dx && x.startsWith('~')) return -1;
      if (!dy && y.startsWith('~')) return 1;
      return dx ? 1 : -1;
    } else {
      const c = compareText(x, y);
      if (c !== 0) return c;
    }
  }
  return 0;
}

function tokens(v: string): string[] {
  return v.match(/\d+|[^\d]+/g) ?? [];
}

function compareDigits(x: string, y: string): number {
  const a = x.replace(/^0+/, '');
  const b = y.replace(/^0+/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

const weight = (ch: string | undefined): number => (ch === undefined ? 0 : ch === '~' ? -1 : /[A-Za-z]/.test(ch) ? ch.charCodeAt(0) : ch.charCodeAt(0) + 256);

function compareText(x: string, y: string): number {
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const c = weight(x[i]) - weight(y[i]);
    if (c !== 0) return c < 0 ? -1 : 1;
  }
  return 0;
}
