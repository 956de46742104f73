/**
 * An error the caller is meant to see. Every protocol renders it in its own dress
 * (JSON `__type`, Query XML `<Code>`, REST `X-Amzn-ErrorType`), so capabilities
 * throw one type and never think about the wire.
 */
export interface AwsErrorOptions {
  /** HTTP status; AWS JSON 1.1 services answer 400 for every client error. */
  status?: number;
  /** Some AWS shapes name the member `Message`, others `message`; the SDKs read both. */
  messageMember?: 'message' | 'Message' | 'none';
  /** Extra top-level members of the error shape, e.g. `{ Limit: 500 }`. */
  fields?: Record<string, unknown>;
  /** Query-protocol services say whether the sender or the receiver was at fault. */
  fault?: 'Sender' | 'Receiver';
}

export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly messageMember: 'message' | 'Message' | 'none';
  readonly fields: Record<string, unknown>;
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, options: AwsErrorOptions = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = options.status ?? 400;
    this.messageMember = options.messageMember ?? 'message';
    this.fields = options.fields ?? {};
    this.fault = options.fault ?? (this.status >= 500 ? 'Receiver' : 'Sender');
  }
}

export const validationError = (message: string): AwsError => new AwsError('ValidationException', message);

export const internalError = (): AwsError =>
  new AwsError('InternalServerError', 'The server encountered an internal error; the request was not completed.', {
    status: 500,
    messageMember: 'Message',
  });

export const isAwsError = (e: unknown): e is AwsError => e instanceof AwsError;
