import { z } from 'zod';
import { NAME } from '../names.js';

// Shapes and limits of the AWSEvents model.
export const name = z.string().min(1).max(64).regex(NAME);
export const eventBus = z.string().min(1).max(1600).optional();
export const limit = z.number().int().min(1).max(100).optional();
export const nextToken = z.string().min(1).max(2048).optional();
export const eventPattern = z.string().max(4096);
export const tags = z.array(z.object({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).max(50);
export const tagConditions = (t: { Key: string; Value: string }[]) => ({ 'aws:TagKeys': t.map((x) => x.Key), ...Object.fromEntries(t.map((x) => [`aws:RequestTag/${x.Key}`, x.Value])) });
