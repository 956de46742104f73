/** An error answered by the server in AWS's shape, or a failure to reach it. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

/** `com.amazonaws.ssm#InvalidDocument` (and `Code:http://…` forms) name the code after the `#`. */
export function errorCode(type: unknown): string {
  if (typeof type !== 'string' || type === '') return 'UnknownError';
  const afterHash = type.includes('#') ? type.slice(type.lastIndexOf('#') + 1) : type;
  const colon = afterHash.indexOf(':');
  return colon > 0 ? afterHash.slice(0, colon) : afterHash;
}

/** Reads an error body; AWS shapes name the text `message` or `Message`. */
export async function errorFrom(res: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    const text = await res.text();
    if (text) body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // A proxy's HTML error page, or nothing: the status alone must do.
  }
  const code = errorCode(body.__type ?? body.code ?? body.Code ?? (res.status === 401 ? 'NotSignedIn' : `Http${res.status}`));
  const raw = body.message ?? body.Message;
  const message = typeof raw === 'string' && raw !== '' ? raw : res.statusText || `The server answered ${res.status}.`;
  return new ApiError(code, message, res.status);
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;

export const isAbort = (e: unknown): boolean => e instanceof DOMException && e.name === 'AbortError';

export function describeError(e: unknown): { code: string; message: string } {
  if (isApiError(e)) return { code: e.code, message: e.message };
  if (e instanceof TypeError) return { code: 'NetworkError', message: 'The server could not be reached. Check that it is running and try again.' };
  if (e instanceof Error) return { code: e.name, message: e.message };
  return { code: 'Error', message: String(e) };
}
