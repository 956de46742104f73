/** Orders dotted versions part by part as numbers (3.10 after 3.9); a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10);
    const y = Number.parseInt(pb[i] ?? '0', 10);
    const nx = Number.isNaN(x) ? -1 : x;
    const ny = Number.isNaN(y) ? -1 : y;
    if (nx !== ny) return nx < ny ? -1 : 1;
  }
  return 0;
}

export function newestVersion(versions: Iterable<string | undefined>): string | undefined {
  let best: string | undefined;
  for (const v of versions) if (v && (best === undefined || compareVersions(v, best) > 0)) best = v;
  return best;
}
