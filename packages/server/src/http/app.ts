import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { decodeJsonBody, encodeJson, jsonErrorBody } from '../protocol/json.js';
import { runCall, type CallOutcome, type WireCall } from '../protocol/pipeline.js';
import { decodeQueryParams, queryError, queryResponse, unknownAction } from '../protocol/query.js';
import type { AnyOperation, ServiceDef } from '../protocol/registry.js';
import type { IncomingSignedRequest } from '../protocol/sigv4.js';
import { dateHeader } from './date-header.js';
import { jsonEndpoint } from './json-endpoint.js';

/** How long an idle connection stays open: Fastify's own default, above load balancers' 60 s. */
export const KEEP_ALIVE_MS = 72_000;

export interface AppOptions {
  /** Trust X-Forwarded-For from a load balancer in front (only when there is one). */
  trustProxy?: boolean;
  bodyLimit?: number;
  /** PEM certificate chain and key: the server speaks HTTPS (and agents WSS) when given. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** The HTTP face of the server: AWS JSON 1.x, Query and REST-JSON on one port, plus /health. */
export function buildApp(core: Core, options: AppOptions = {}): FastifyInstance {
  const trustProxy = options.trustProxy ?? false;
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;
  const json = jsonEndpoint(core, { trustProxy, bodyLimit });
  const app = Fastify({
    logger: false,
    // One trusted hop: the client's address is the one the balancer saw (the rightmost
    // X-Forwarded-For entry); what the client wrote to the left of it is its own claim.
    trustProxy: trustProxy ? (_address: string, hop: number) => hop === 0 : false,
    bodyLimit,
    // REST path labels carry whole ARNs (Resource Groups allows 1,600 characters); the router
    // measures a label once percent-decoded, and its default of 100 refused ordinary group ARNs.
    routerOptions: { maxParamLength: 8192 },
    // The router's own refusals, answered in the REST-JSON error shape like everything else.
    frameworkErrors: (err, _req, reply) => {
      const error = err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? new AwsError('ValidationException', 'A path label is longer than 8192 characters') : new AwsError('SerializationException', `The request path is not valid: ${err.message}`);
      void sendJsonError(reply, error, 'application/json');
    },
    // JSON 1.x calls go straight to their endpoint; the router serves the rest.
    serverFactory: (route) => {
      const handle = (req: IncomingMessage, res: ServerResponse) => {
        // Capstan's own endpoints (the console's call endpoint carries X-Amz-Target too) are routed.
        if (req.method === 'POST' && req.headers['x-amz-target'] && !req.url?.startsWith('/capstan/')) json(req, res);
        else route(req, res);
      };
      const server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handle) : createServer(handle);
      // A server of our own gets none of Fastify's settings, and Node's 5 s is shorter than the
      // idle timeout of load balancers (60 s) and of clients' connection pools: they would send
      // a request on a connection the server is closing and get a reset.
      server.keepAliveTimeout = KEEP_ALIVE_MS;
      return server;
    },
  });
  // Signatures cover the exact bytes, so every body is kept raw and decoded by its protocol.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  // The Date header speaks the server's clock: SDKs correct their clock skew from it.
  const date = dateHeader(core.clock);
  app.addHook('onSend', async (_req, reply) => {
    reply.header('date', date());
  });

  app.get('/health', async () => ({ status: 'ok' }));

  app.post('/', (req, reply) => handleQuery(core, req, reply, new URLSearchParams(bodyOf(req).toString('utf8'))));
  app.get('/', (req, reply) => handleQuery(core, req, reply, new URLSearchParams(rawQuery(req))));

  for (const op of core.registry.restOperations()) registerRest(app, core, op);

  app.setNotFoundHandler((req, reply) => {
    const error = new AwsError('UnknownOperationException', `No operation answers ${req.method} ${req.url.split('?')[0]}`);
    void sendJsonError(reply, error, 'application/json', 404);
  });
  app.setErrorHandler((err, _req, reply) => {
    // Fastify's own failures (body too large, bad content) arrive here before any protocol ran.
    const e = err as { statusCode?: number; message: string };
    const status = e.statusCode && e.statusCode < 500 ? e.statusCode : 500;
    const error = status === 413 ? new AwsError('SerializationException', 'The request body is too large') : new AwsError(status < 500 ? 'SerializationException' : 'InternalServerError', status < 500 ? e.message : 'Internal error', { status });
    void sendJsonError(reply, error, 'application/x-amz-json-1.1', status);
  });
  return app;
}

function bodyOf(req: FastifyRequest): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

function rawPath(req: FastifyRequest): string {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function rawQuery(req: FastifyRequest): string {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? '' : url.slice(q + 1);
}

function signedRequest(req: FastifyRequest): IncomingSignedRequest {
  return { method: req.method, path: rawPath(req), query: rawQuery(req), headers: req.headers, body: bodyOf(req) };
}

function wireCall(req: FastifyRequest, service: ServiceDef, op: AnyOperation, decodeInput: () => unknown): WireCall {
  const ua = req.headers['user-agent'];
  return {
    service,
    op,
    signed: signedRequest(req),
    sourceIp: normaliseIp(req.ip),
    userAgent: typeof ua === 'string' ? ua : '',
    secureTransport: req.protocol === 'https',
    decodeInput,
  };
}

function normaliseIp(ip: string): string {
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

function sendJsonError(reply: FastifyReply, error: AwsError, contentType: string, status = error.status): FastifyReply {
  return reply.code(status).header('content-type', contentType).header('x-amzn-ErrorType', error.code).send(jsonErrorBody(error));
}

async function handleQuery(core: Core, req: FastifyRequest, reply: FastifyReply, params: URLSearchParams): Promise<void> {
  const { action, input } = decodeQueryParams(params);
  const signingName = signingNameOf(req);
  const service = signingName ? core.registry.queryServiceBySigningName(signingName) : undefined;
  const namespace = service?.xmlNamespace ?? 'https://sts.amazonaws.com/doc/2011-06-15/';
  const op = service ? core.registry.byQuery(service.signingName, action) : undefined;
  if (!service || !op) {
    const err = queryError(unknownAction(action), namespace, 'none');
    return void reply.code(err.status).header('content-type', 'text/xml').send(err.body);
  }
  const outcome = await runCall(core, wireCall(req, service, op, () => input));
  sendQuery(reply, outcome, action, namespace);
}

function sendQuery(reply: FastifyReply, outcome: CallOutcome, action: string, namespace: string): void {
  reply.header('x-amzn-RequestId', outcome.requestId).header('content-type', 'text/xml');
  if ('error' in outcome) {
    const err = queryError(outcome.error, namespace, outcome.requestId);
    void reply.code(err.status).send(err.body);
  } else void reply.code(200).send(queryResponse(action, namespace, outcome.output, outcome.requestId));
}

/** The service of a Query request is the one its credential scope names (sts, iam). */
function signingNameOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  const credential = typeof auth === 'string' ? /Credential=([^,\s]+)/.exec(auth)?.[1] : new URLSearchParams(rawQuery(req)).get('X-Amz-Credential') ?? undefined;
  return credential?.split('/')[3];
}

function registerRest(app: FastifyInstance, core: Core, op: AnyOperation): void {
  const http = op.http!;
  const url = http.path.replace(/\{(\w+)\+\}/g, '*').replace(/\{(\w+)\}/g, ':$1');
  const greedy = /\{(\w+)\+\}/.exec(http.path)?.[1];
  app.route({
    method: http.method,
    url,
    handler: async (req, reply) => {
      const decode = () => {
        const input: Record<string, unknown> = req.method === 'GET' || req.method === 'DELETE' ? {} : decodeJsonBody(bodyOf(req));
        const params = req.params as Record<string, string>;
        for (const [k, v] of Object.entries(params)) input[k === '*' && greedy ? greedy : k] = v;
        const query = new URLSearchParams(rawQuery(req));
        for (const [member, name] of Object.entries(http.query ?? {})) {
          const all = query.getAll(name);
          if (all.length > 1) input[member] = all;
          else if (all.length === 1) input[member] = all[0];
        }
        for (const [member, name] of Object.entries(http.headers ?? {})) {
          const v = req.headers[name.toLowerCase()];
          if (typeof v === 'string') input[member] = v;
        }
        return input;
      };
      const outcome = await runCall(core, wireCall(req, op.service, op, decode));
      reply.header('x-amzn-RequestId', outcome.requestId);
      // REST-JSON services answer a refused authorization with 403, as their AWS models do (JSON 1.x keeps 400).
      if ('error' in outcome) return sendJsonError(reply, outcome.error, 'application/json', outcome.error.code === 'AccessDeniedException' ? 403 : outcome.error.status);
      const status = http.successStatus ?? 200;
      if (status === 204) return reply.code(204).send();
      return reply.code(status).header('content-type', 'application/json').send(encodeJson(outcome.output));
    },
  });
}
