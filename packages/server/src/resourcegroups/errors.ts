import { createHash } from 'node:crypto';
import { z, type ZodType } from 'zod';
import { AwsError } from '../protocol/errors.js';
import { validationFailure } from '../protocol/validation.js';

// Resource Groups answers with REST status codes and a `Message` member.
export const badRequest = (message: string) => new AwsError('BadRequestException', message, { status: 400, messageMember: 'Message' });
export const notFound = (message: string) => new AwsError('NotFoundException', message, { status: 404, messageMember: 'Message' });
// The tagging API is JSON 1.1: every client error is a 400.
export const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message, { messageMember: 'Message' });

/**
 * An input schema whose failures carry the service's own error code (Resource Groups'
 * BadRequestException, the tagging API's InvalidParameterException) rather than the generic
 * ValidationException, with the same "N validation errors detected" text.
 */
export function inputOf<T>(schema: ZodType<T>, error: (message: string) => AwsError): ZodType<T> {
  return z.unknown().transform((raw) => {
    const r = schema.safeParse(raw);
    if (!r.success) throw error(validationFailure(r.error.issues, raw).message);
    return r.data;
  }) as unknown as ZodType<T>;
}

/** Paging in memory with an opaque token bound to the listing it came from. */
export function page<T>(rows: readonly T[], scope: string, token: string | undefined, max: number, error: (message: string) => AwsError, tokenName = 'NextToken'): { rows: T[]; next?: string } {
  const bound = createHash('sha256').update(scope).digest('base64').slice(0, 16);
  let offset = 0;
  if (token) {
    let parsed: { s?: unknown; o?: unknown } | undefined;
    try {
      parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { s?: unknown; o?: unknown };
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.s !== bound || typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0) throw error(`The ${tokenName} is not valid for this request.`);
    offset = parsed.o;
  }
  const end = offset + max;
  return { rows: rows.slice(offset, end), ...(rows.length > end ? { next: Buffer.from(JSON.stringify({ s: bound, o: end })).toString('base64') } : {}) };
}
