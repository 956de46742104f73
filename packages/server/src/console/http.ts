import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../iam/credentials.js';
import type { Core } from '../protocol/context.js';
import type { AwsError } from '../protocol/errors.js';
import { encodeJson, jsonErrorBody } from '../protocol/json.js';
import { queryError } from '../protocol/query.js';
import { z } from 'zod';
import { recordConsoleLogin } from './audit.js';
import { consoleCall, consoleQueryCall } from './call.js';
import { clearedCookie, consoleCookies, sessionCookie } from './cookies.js';
import { ConsoleSessions, csrfMatches, csrfTokenFor, type ConsoleSession } from './sessions.js';
import { FailedSignIns } from './sign-in-limit.js';
import { parseSignIn, signIn } from './sign-in.js';

export const CONSOLE_API = '/capstan/console/v1';
const CSRF_HEADER = 'x-capstan-csrf';
const SIGN_IN_BODY_LIMIT = 8 * 1024;
const JSON_TYPE = /^application\/([\w.+-]*\+)?json\s*(;|$)/i;
/** One message for every failed sign-in: which part was wrong is for the audit trail only. */
const SIGN_IN_FAILED = 'The sign-in details are not valid.';

const single = (v: string | string[] | undefined) => (typeof v === 'string' ? v : undefined);
const bodyOf = (req: FastifyRequest) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
const sourceIpOf = (req: FastifyRequest) => (req.ip.startsWith('::ffff:') ? req.ip.slice(7) : req.ip);
/** TLS to us, or (with --trust-proxy) to the balancer in front, as it reports. */
const isSecure = (req: FastifyRequest) => req.protocol === 'https';

function sendError(reply: FastifyReply, status: number, type: string, message: string): FastifyReply {
  return reply.code(status).header('content-type', 'application/json').header('x-amzn-ErrorType', type).send(JSON.stringify({ __type: type, message }));
}

function identity(token: string, session: ConsoleSession, principal: Principal) {
  return {
    csrfToken: csrfTokenFor(token),
    principal: { arn: principal.arn, accountId: principal.accountId, userName: principal.name },
    expiresAt: session.expires_at,
    signInMethod: session.owns_key ? 'Password' : 'AccessKey',
    passwordChangeRequired: session.password_change_required === 1,
  };
}

const CHANGE_PASSWORD_BODY_LIMIT = 8 * 1024;
const changePasswordShape = z.object({ oldPassword: z.string().min(1).max(1024), newPassword: z.string().min(1).max(1024) }).strict();

/** The Query protocol's name for an error (ValidationException is ValidationError there), read from its own mapping. */
function queryCodeOf(error: AwsError): { code: string; status: number } {
  const { status, body } = queryError(error, '', '');
  return { status, code: /<Code>([^<]*)<\/Code>/.exec(body)?.[1] ?? error.code };
}

/**
 * The console's own API: sign-in (an access key or a user's password) opens a session held in
 * an HttpOnly cookie; `call` runs any AWS JSON operation as the session's user. State-changing
 * requests need the session's CSRF token in a header, which another site's page can neither
 * read nor send without a CORS preflight this server never grants.
 */
export function attachConsoleApi(app: FastifyInstance, core: Core): void {
  const sessions = new ConsoleSessions(core);
  const failures = new FailedSignIns(core.clock);

  app.addHook('onRequest', async (req, reply) => {
    if (req.url.startsWith(`${CONSOLE_API}/`)) reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
  });

  /** The live session of the request's cookie, with the token that found it. */
  const current = async (req: FastifyRequest): Promise<{ token: string; session: ConsoleSession } | undefined> => {
    for (const token of consoleCookies(req.headers.cookie).slice(0, 4)) {
      const session = await sessions.find(token);
      if (session) return { token, session };
    }
    return undefined;
  };
  const notSignedIn = (req: FastifyRequest, reply: FastifyReply, message = 'Sign in to the console first.') =>
    sendError(reply.header('set-cookie', clearedCookie(isSecure(req))), 401, 'NotSignedIn', message);
  const badCsrf = (reply: FastifyReply) => sendError(reply, 403, 'InvalidCsrfToken', `The ${CSRF_HEADER} header is missing or does not match the session.`);

  app.post(`${CONSOLE_API}/sign-in`, async (req, reply) => {
    // A form post from another site cannot send this type without a preflight: no one can sign a browser into their account.
    if (!JSON_TYPE.test(single(req.headers['content-type']) ?? '')) return sendError(reply, 400, 'ValidationException', 'The body must be JSON, sent as Content-Type: application/json.');
    const body = bodyOf(req);
    if (body.length > SIGN_IN_BODY_LIMIT) return sendError(reply, 400, 'ValidationException', 'The body is too large.');
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(reply, 400, 'ValidationException', 'The body is not valid JSON.');
    }
    const request = parseSignIn(parsed);
    if (!request) return sendError(reply, 400, 'ValidationException', 'The body must be {"accessKeyId","secretAccessKey"} or {"accountId","userName","password"}, all strings.');
    const sourceIp = sourceIpOf(req);
    if (failures.blocked(sourceIp)) return sendError(reply, 429, 'ThrottlingException', 'Too many failed sign-ins from this address; try again in a few minutes.');
    const userAgent = single(req.headers['user-agent']) ?? '';
    const result = await signIn(core, sessions, request);
    if (!result.ok) {
      failures.failed(sourceIp);
      recordConsoleLogin(core, { method: request.method, accountId: result.accountId, ...(result.principal ? { principal: result.principal } : {}), userName: result.userName, accessKeyId: result.accessKeyId, sourceIp, userAgent, failure: result.reason });
      return sendError(reply, 401, 'SignInFailed', SIGN_IN_FAILED);
    }
    recordConsoleLogin(core, { method: request.method, accountId: result.principal.accountId, principal: result.principal, userName: result.principal.name, accessKeyId: result.session.access_key_id, sourceIp, userAgent });
    void sessions.sweep().catch(() => undefined);
    return reply.code(200).header('set-cookie', sessionCookie(result.token, isSecure(req))).header('content-type', 'application/json').send(JSON.stringify(identity(result.token, result.session, result.principal)));
  });

  app.get(`${CONSOLE_API}/me`, async (req, reply) => {
    const found = await current(req);
    if (!found) return notSignedIn(req, reply);
    const credential = await core.credentials.resolve(found.session.access_key_id);
    if (!credential) {
      await sessions.end(found.session);
      return notSignedIn(req, reply, 'The access key of this session no longer exists.');
    }
    if (!credential.active) return notSignedIn(req, reply, 'The access key of this session is inactive.');
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(identity(found.token, found.session, credential.principal)));
  });

  app.post(`${CONSOLE_API}/sign-out`, async (req, reply) => {
    const found = await current(req);
    if (!found) return notSignedIn(req, reply);
    if (!csrfMatches(found.token, single(req.headers[CSRF_HEADER]))) return badCsrf(reply);
    await sessions.end(found.session);
    return reply.code(204).header('set-cookie', clearedCookie(isSecure(req))).send();
  });

  app.post(`${CONSOLE_API}/call`, async (req, reply) => {
    const found = await current(req);
    if (!found) return notSignedIn(req, reply);
    if (!csrfMatches(found.token, single(req.headers[CSRF_HEADER]))) return badCsrf(reply);
    if (found.session.password_change_required) return sendError(reply, 403, 'PasswordChangeRequired', 'Set a new password before using the console.');
    const result = await consoleCall(core, found.session, {
      target: single(req.headers['x-amz-target']),
      region: single(req.headers['x-capstan-region']),
      body: bodyOf(req),
      host: single(req.headers.host),
      sourceIp: sourceIpOf(req),
      secureTransport: isSecure(req),
    });
    if (result.kind === 'key-gone') {
      await sessions.end(found.session);
      return notSignedIn(req, reply, 'The access key of this session no longer exists.');
    }
    // Sent as bytes, so the content type is the API's own, without a charset fastify would add to a string.
    reply.header('content-type', result.service?.jsonVersion === '1.0' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1');
    if (result.kind === 'refused') return reply.code(result.error.status).header('x-amzn-ErrorType', result.error.code).send(Buffer.from(jsonErrorBody(result.error)));
    const { outcome } = result;
    reply.header('x-amzn-RequestId', outcome.requestId);
    if ('error' in outcome) return reply.code(outcome.error.status).header('x-amzn-ErrorType', outcome.error.code).send(Buffer.from(jsonErrorBody(outcome.error)));
    return reply.code(200).send(Buffer.from(encodeJson(outcome.output)));
  });
  /**
   * ChangePassword for the signed-in user, run as IAM's own operation: the Query request an SDK
   * would send, signed with the session's key. The only call a session that must set a new
   * password may make; success lifts that restriction from the user's sessions.
   */
  app.post(`${CONSOLE_API}/change-password`, async (req, reply) => {
    const found = await current(req);
    if (!found) return notSignedIn(req, reply);
    if (!csrfMatches(found.token, single(req.headers[CSRF_HEADER]))) return badCsrf(reply);
    if (!JSON_TYPE.test(single(req.headers['content-type']) ?? '')) return sendError(reply, 400, 'ValidationException', 'The body must be JSON, sent as Content-Type: application/json.');
    const body = bodyOf(req);
    if (body.length > CHANGE_PASSWORD_BODY_LIMIT) return sendError(reply, 400, 'ValidationException', 'The body is too large.');
    let parsed: z.infer<typeof changePasswordShape>;
    try {
      parsed = changePasswordShape.parse(JSON.parse(body.toString('utf8')));
    } catch {
      return sendError(reply, 400, 'ValidationException', 'The body must be {"oldPassword","newPassword"}, both strings.');
    }
    const result = await consoleQueryCall(core, found.session, {
      signingName: 'iam',
      action: 'ChangePassword',
      params: { OldPassword: parsed.oldPassword, NewPassword: parsed.newPassword },
      host: single(req.headers.host),
      sourceIp: sourceIpOf(req),
      secureTransport: isSecure(req),
    });
    if (result.kind === 'key-gone') {
      await sessions.end(found.session);
      return notSignedIn(req, reply, 'The access key of this session no longer exists.');
    }
    const error = result.kind === 'refused' ? result.error : 'error' in result.outcome ? result.outcome.error : undefined;
    if (result.kind === 'outcome') reply.header('x-amzn-RequestId', result.outcome.requestId);
    if (error) {
      const { code, status } = queryCodeOf(error);
      return sendError(reply, status, code, error.message);
    }
    await sessions.passwordChanged(found.session);
    const credential = await core.credentials.resolve(found.session.access_key_id);
    if (!credential) return notSignedIn(req, reply, 'The access key of this session no longer exists.');
    return reply.code(200).header('content-type', 'application/json').send(JSON.stringify(identity(found.token, found.session, credential.principal)));
  });
}
