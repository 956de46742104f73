import { z } from 'zod';

/** AWS's `^(?!\s*$).+`: not blank. */
export const text = (max: number) => z.string().min(1).max(max).refine((s) => /\S/.test(s), { message: 'must not be blank' });
export const opsItemId = z.string().regex(/^(oi)-[0-9a-f]{12}$/);
export const dataValue = z.object({ Value: z.string().optional(), Type: z.enum(['SearchableString', 'String']).optional() });
export const operationalData = z.record(z.string().min(1).max(128), dataValue);
export const notifications = z.array(z.object({ Arn: z.string().optional() })).max(10);
export const relatedOpsItems = z.array(z.object({ OpsItemId: z.string() })).max(10);
/** AWS JSON timestamps arrive as epoch seconds. */
export const date = z.number().transform((s) => new Date(Math.round(s * 1000)));
export const maxResults = z.number().int().min(1).max(50).optional();
