import type { Core } from '../protocol/context.js';
import { AwsError } from '../protocol/errors.js';
import { decodeJsonBody } from '../protocol/json.js';
import { runCall, type CallOutcome } from '../protocol/pipeline.js';
import { decodeQueryParams } from '../protocol/query.js';
import type { AnyOperation, ServiceDef } from '../protocol/registry.js';
import type { ConsoleSession } from './sessions.js';
import { signPostRequest } from './sigv4-signer.js';

export const CONSOLE_USER_AGENT = 'capstan-console';
const DEFAULT_REGION = 'us-east-1';
/** Only what can stand in a credential scope; the pipeline then checks it is a region. */
const REGION_TEXT = /^[a-z0-9-]{1,32}$/;
const HOST = /^[A-Za-z0-9.:[\]-]{1,255}$/;

export interface ConsoleCallRequest {
  target: string | undefined;
  region: string | undefined;
  body: Buffer;
  host: string | undefined;
  sourceIp: string;
  secureTransport: boolean;
}

export type ConsoleCallResult =
  | { kind: 'outcome'; outcome: CallOutcome; service: ServiceDef }
  | { kind: 'refused'; error: AwsError; service: ServiceDef | undefined }
  /** The session's key no longer exists: the session is over. */
  | { kind: 'key-gone' };

/**
 * One API call on behalf of a console session: the request an SDK would send, signed here with
 * the session's key and handed to the same pipeline, so signature, IAM, throttling and the
 * audit trail treat it like any other call. The key is resolved afresh (through the
 * credential cache, which every IAM change clears), so a deleted or deactivated key or a
 * narrowed policy holds from the next call on.
 */
export async function consoleCall(core: Core, session: ConsoleSession, req: ConsoleCallRequest): Promise<ConsoleCallResult> {
  const target = req.target ?? '';
  const rest = restOperation(core, target);
  const service = rest?.service ?? core.registry.serviceForTarget(target);
  const op = rest ?? core.registry.byJsonTarget(target);
  if (!service || !op || (service.protocol !== 'json' && !rest)) {
    return { kind: 'refused', service, error: new AwsError('UnknownOperationException', `The operation ${target.slice(0, 200)} is not known to this server`) };
  }
  const region = req.region ?? DEFAULT_REGION;
  if (!REGION_TEXT.test(region)) return { kind: 'refused', service, error: new AwsError('ValidationException', 'x-capstan-region must be a region name such as us-east-1') };
  const contentType = service.jsonVersion === '1.0' ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
  return signedCall(core, session, req, { service, op, region, ...(rest ? {} : { target }), contentType, decodeInput: () => decodeJsonBody(req.body) });
}

/**
 * A REST-JSON operation named `service-key.Operation` (`ssm-incidents.ListIncidentRecords`): the
 * console sends its input members as one JSON body, the shape the operation's handler takes once
 * its path, query and body are merged.
 */
function restOperation(core: Core, target: string): AnyOperation | undefined {
  const m = /^([a-z][a-z-]{1,40})\.([A-Za-z]{1,80})$/.exec(target);
  if (!m) return undefined;
  return core.registry.restOperations().find((op) => op.service.key === m[1] && op.name === m[2]);
}

export interface ConsoleQueryRequest {
  /** The Query service's signing name (`iam`). */
  signingName: string;
  action: string;
  params: Record<string, string>;
  host: string | undefined;
  sourceIp: string;
  secureTransport: boolean;
}

/**
 * A Query-protocol call (IAM's ChangePassword) on behalf of a console session: the form an SDK
 * would post, signed and run exactly as `consoleCall` runs a JSON one. Only the server's own
 * endpoints build these; the app cannot name an arbitrary Query action.
 */
export async function consoleQueryCall(core: Core, session: ConsoleSession, req: ConsoleQueryRequest): Promise<ConsoleCallResult> {
  const service = core.registry.queryServiceBySigningName(req.signingName);
  const op = service ? core.registry.byQuery(service.signingName, req.action) : undefined;
  if (!service || !op) return { kind: 'refused', service, error: new AwsError('UnknownOperationException', `The operation ${req.action.slice(0, 200)} is not known to this server`) };
  const body = Buffer.from(new URLSearchParams({ Action: req.action, Version: service.apiVersion, ...req.params }).toString());
  return signedCall(core, session, { body, host: req.host, sourceIp: req.sourceIp, secureTransport: req.secureTransport }, {
    service,
    op,
    region: DEFAULT_REGION,
    contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    decodeInput: () => decodeQueryParams(new URLSearchParams(body.toString('utf8'))).input,
  });
}

/** The one path by which the console signs a request with the session's key and hands it to the pipeline. */
async function signedCall(
  core: Core,
  session: ConsoleSession,
  req: Pick<ConsoleCallRequest, 'body' | 'host' | 'sourceIp' | 'secureTransport'>,
  how: { service: ServiceDef; op: AnyOperation; region: string; target?: string; contentType: string; decodeInput: () => unknown },
): Promise<ConsoleCallResult> {
  const credential = await core.credentials.resolve(session.access_key_id);
  if (!credential) return { kind: 'key-gone' };
  const headers = signPostRequest({
    host: req.host && HOST.test(req.host) ? req.host : 'localhost',
    ...(how.target !== undefined ? { target: how.target } : {}),
    contentType: how.contentType,
    body: req.body,
    region: how.region,
    service: how.service.signingName,
    accessKeyId: session.access_key_id,
    secretAccessKey: credential.secretAccessKey,
    now: core.clock.now(),
    userAgent: CONSOLE_USER_AGENT,
  });
  const outcome = await runCall(core, {
    service: how.service,
    op: how.op,
    signed: { method: 'POST', path: '/', query: '', headers, body: req.body },
    sourceIp: req.sourceIp,
    userAgent: CONSOLE_USER_AGENT,
    secureTransport: req.secureTransport,
    decodeInput: how.decodeInput,
  });
  return { kind: 'outcome', outcome, service: how.service };
}
