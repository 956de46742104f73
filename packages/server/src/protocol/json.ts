import { AwsError } from './errors.js';
import { deepFreeze } from './freeze.js';

const dateToJson = Date.prototype.toJSON;
const bufferToJson = Buffer.prototype.toJSON;
function epochSeconds(this: Date): number {
  return this.getTime() / 1000;
}
function base64(this: Buffer): string {
  return this.toString('base64');
}

/** Outputs whose wire form is already known, see `preEncoded`. */
const encoded = new WeakMap<object, string>();

/**
 * Freezes an output a handler hands out again and again (a hot read's answer, cached with the
 * row it came from) and remembers its JSON, so repeated answers are not encoded each time.
 */
export function preEncoded<T extends object>(output: T): T {
  encoded.set(output, encodeJson(output));
  return deepFreeze(output);
}

/**
 * AWS JSON 1.1: timestamps travel as epoch seconds, blobs (Buffers) as base64. A replacer
 * function would be called for every member; swapping the two toJSON methods for the length
 * of this synchronous call costs nothing per member and cannot be seen by other code.
 */
export function encodeJson(value: unknown): string {
  if (value === undefined || value === null) return '{}';
  const known = typeof value === 'object' ? encoded.get(value) : undefined;
  if (known !== undefined) return known;
  Date.prototype.toJSON = epochSeconds as unknown as typeof dateToJson;
  Buffer.prototype.toJSON = base64 as unknown as typeof bufferToJson;
  try {
    return JSON.stringify(value);
  } finally {
    Date.prototype.toJSON = dateToJson;
    Buffer.prototype.toJSON = bufferToJson;
  }
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
  // Shapes without a message member still get one when there is something to say: every SDK
  // shows `message` as the error's text, and a bare code does not tell the user what was wrong.
  if (error.messageMember !== 'none') body[error.messageMember] = error.message;
  else if (error.message) body.message = error.message;
  Object.assign(body, error.fields);
  return encodeJson(body);
}
