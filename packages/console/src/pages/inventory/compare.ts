/** Digits compare as numbers (3.0.9 before 3.0.13), case aside: near enough to version order for a sortable column. */
const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

export const compareText = (a: string, b: string): number => collator.compare(a, b);
