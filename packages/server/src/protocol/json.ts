import { AwsError } from './errors.js';

/** AWS JSON 1.1: timestamps travel as epoch seconds, blobs as base64. */
export function encodeJson(value: unknown): string {
  if (value === undefined || value === null) return '{}';
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return raw.getTime() / 1000;
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
    return v;
  });
}

export function decodeJsonBody(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new AwsError('SerializationException', `The request body is not valid JSON: ${(e as Error).message}`, { messageMember: 'Message' });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsError('SerializationException', 'The request body must be a JSON object', { messageMember: 'Message' });
  }
  return parsed as Record<string, unknown>;
}

export function jsonErrorBody(error: AwsError): string {
  const body: Record<string, unknown> = { __type: error.code };
  if (error.messageMember !== 'none') body[error.messageMember] = error.message;
  Object.assign(body, error.fields);
  return encodeJson(body);
}
