/** A baseline's page; predefined baselines' ids are ARNs, with slashes. */
export const baselinePath = (id: string) => `/patch-baselines/view/${encodeURIComponent(id)}`;
