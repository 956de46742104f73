/** A value made safe for a data-testid: anything outside [A-Za-z0-9._-] becomes '-'. */
export const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '-');
