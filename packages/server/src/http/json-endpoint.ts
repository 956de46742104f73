import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { decodeJsonBody, encodeJson, jsonErrorBody } from '../protocol/json.js';
import { runCall } from '../protocol/pipeline.js';
import { dateHeader } from './date-header.js';
import { TurnWrites } from './turn-writes.js';

export interface JsonEndpointOptions {
  trustProxy: boolean;
  bodyLimit: number;
}

/**
 * AWS JSON 1.x (`POST /` with `X-Amz-Target`), served straight from node:http. These are the
 * hot paths (GetParameter, command fan-out), and the general router's per-request work cost a
 * third of their throughput; everything else still goes through the router.
 */
export function jsonEndpoint(core: Core, options: JsonEndpointOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const date = dateHeader(core.clock);
  const writes = new TurnWrites();

  const send = (res: ServerResponse, status: number, contentType: string, body: string, requestId?: string, errorType?: string) => {
    const headers: Record<string, string | number> = { 'content-type': contentType, 'content-length': Buffer.byteLength(body), date: date() };
    if (requestId) headers['x-amzn-RequestId'] = requestId;
    if (errorType) headers['x-amzn-ErrorType'] = errorType;
    writes.write(res, status, headers, body);
  };
  const fail = (res: ServerResponse, error: AwsError, contentType: string, requestId?: string, status = error.status) =>
    send(res, status, contentType, jsonErrorBody(error), requestId, error.code);

  return (req, res) => {
    const target = req.headers['x-amz-target'] as string;
    const service = core.registry.serviceForTarget(target);
    const contentType = service?.jsonVersion === '1.0' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > options.bodyLimit) {
      req.resume();
      return fail(res, new AwsError('SerializationException', 'The request body is too large'), contentType, undefined, 413);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= options.bodyLimit) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (size > options.bodyLimit) return fail(res, new AwsError('SerializationException', 'The request body is too large'), contentType, undefined, 413);
      const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const op = core.registry.byJsonTarget(target);
      if (!service || !op) return fail(res, new AwsError('UnknownOperationException', `The operation ${target} is not known to this server`), contentType);
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const ua = req.headers['user-agent'];
      runCall(core, {
        service,
        op,
        signed: { method: req.method ?? 'POST', path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers: req.headers, body },
        sourceIp: sourceIp(req, options.trustProxy),
        userAgent: typeof ua === 'string' ? ua : '',
        secureTransport: 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted),
        decodeInput: () => decodeJsonBody(body),
      }).then(
        (outcome) => {
          if ('error' in outcome) fail(res, outcome.error, contentType, outcome.requestId);
          else send(res, 200, contentType, encodeJson(outcome.output), outcome.requestId);
        },
        () => fail(res, new AwsError('InternalServerError', 'Internal error', { status: 500, messageMember: 'Message' }), contentType),
      );
    });
  };
}

/**
 * Behind a trusted balancer the client is the address the balancer saw, which it appends last
 * to X-Forwarded-For; entries to its left came from the client and prove nothing (trusting them
 * would let a caller choose its aws:SourceIp).
 */
function sourceIp(req: IncomingMessage, trustProxy: boolean): string {
  const forwarded = req.headers['x-forwarded-for'];
  const hops = trustProxy && typeof forwarded === 'string' ? forwarded.split(',').map((h) => h.trim()).filter(Boolean) : [];
  const ip = hops.length ? hops[hops.length - 1]! : (req.socket.remoteAddress ?? '');
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}
