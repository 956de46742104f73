import { randomUUID } from 'node:crypto';
import { timeOrderedId } from '../audit/ids.js';
import { redact } from '../audit/redact.js';
import { authorize, type ConditionContext } from '../iam/authorize.js';
import { CredentialResolver, type Principal } from '../iam/credentials.js';
import { AwsError, internalError, isAwsError } from './errors.js';
import type { CallContext, Core } from './context.js';
import { actionOf, throttleKindOf, type AnyOperation, type ServiceDef } from './registry.js';
import { parseAuthorization, SigV4Error, verifySignature, type IncomingSignedRequest } from './sigv4.js';
import { parseInput } from './validation.js';

/** Where a call comes from and which operation it is, whoever vouches for the caller. */
export interface CallOrigin {
  readonly service: ServiceDef;
  readonly op: AnyOperation;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly secureTransport: boolean;
  /** Decodes the protocol's body into the operation's input shape; throws SerializationException. */
  readonly decodeInput: () => unknown;
}

/** One request as a protocol adapter hands it over: which operation, and how to read its input. */
export interface WireCall extends CallOrigin {
  readonly signed: IncomingSignedRequest;
}

/**
 * A call the server makes on a principal's behalf (an automation step acting as its role): no
 * signature to check, since the principal was established when the work was started, but the
 * same throttling, validation, authorization, handler and audit trail as a call from outside.
 */
export interface InternalCall {
  readonly service: ServiceDef;
  readonly op: AnyOperation;
  readonly principal: Principal;
  readonly region: string;
  readonly input: unknown;
  /** Names the service acting, e.g. `ssm.amazonaws.com`, as CloudTrail does for AWS services. */
  readonly sourceIp: string;
  readonly userAgent: string;
}

export type CallOutcome = { requestId: string; output: unknown } | { requestId: string; error: AwsError };

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * Authenticate → throttle → decode → validate → authorize → handle, and audit whatever happened.
 * Every failure leaves as an AwsError; anything else is an internal error whose detail stays in
 * the server's log, never in the response.
 */
export async function runCall(core: Core, wire: WireCall): Promise<CallOutcome> {
  const requestId = randomUUID();
  const now = core.clock.now();
  let auth: Authenticated;
  try {
    auth = await authenticate(core, wire, now);
  } catch (err) {
    const error = toAwsError(err, wire);
    audit(core, wire, { requestId, now, principal: undefined, region: '', accessKeyId: '', params: undefined, resources: [], error });
    return { requestId, error };
  }
  return perform(core, wire, auth, requestId, now);
}

/** Runs an operation as `call.principal`, from inside the server; see InternalCall. */
export function invokeAs(core: Core, call: InternalCall): Promise<CallOutcome> {
  const origin: CallOrigin = { service: call.service, op: call.op, sourceIp: call.sourceIp, userAgent: call.userAgent, secureTransport: true, decodeInput: () => call.input };
  const region = call.service.global ? 'us-east-1' : call.region;
  return perform(core, origin, { principal: call.principal, region, accessKeyId: call.principal.accessKeyId }, randomUUID(), core.clock.now());
}

async function perform(core: Core, wire: CallOrigin, auth: Authenticated, requestId: string, now: number): Promise<CallOutcome> {
  const { op, service } = wire;
  const { principal, region, accessKeyId } = auth;
  let params: unknown;
  let resources: string[] = [];
  try {
    if (!core.throttle.take(principal.accountId, `${service.key}:${throttleKindOf(op)}`)) {
      throw new AwsError('ThrottlingException', 'Rate exceeded', { messageMember: 'message' });
    }
    const raw = wire.decodeInput();
    params = raw;
    const sensitive = op.sensitive ? new Set(op.sensitive) : undefined;
    const input = parseInput(op.input, raw, sensitive);
    const who = principal;
    const call: CallContext = {
      requestId,
      accountId: principal.accountId,
      region,
      principal,
      sourceIp: wire.sourceIp,
      userAgent: wire.userAgent,
      now,
      core,
      authorize: (action, res) => authorize({ principal: who, action, resources: res, context: conditionContext(wire, call, undefined), tags: core.resourceTags }),
      isAllowed: (action, resource) =>
        authorize({ principal: who, action, resources: [resource], context: conditionContext(wire, call, undefined), tags: core.resourceTags }).then(
          () => true,
          (e: unknown) => {
            if (isAwsError(e) && e.code === 'AccessDeniedException') return false;
            throw e;
          },
        ),
    };
    resources = op.resources ? await op.resources(input, call) : ['*'];
    if (op.authorization !== 'none') {
      await authorize({
        principal,
        action: actionOf(op),
        resources,
        context: conditionContext(wire, call, op.conditionKeys?.(input)),
        tags: core.resourceTags,
      });
    }
    const output = await op.handler(input, call);
    audit(core, wire, { requestId, now, principal, region, accessKeyId, params, resources });
    return { requestId, output };
  } catch (err) {
    const error = toAwsError(err, wire);
    audit(core, wire, { requestId, now, principal, region, accessKeyId, params, resources, error });
    return { requestId, error };
  }
}

interface Authenticated {
  principal: Principal;
  region: string;
  accessKeyId: string;
}

async function authenticate(core: Core, wire: WireCall, now: number): Promise<Authenticated> {
  let parsed;
  try {
    parsed = parseAuthorization(wire.signed, new Date(now), [wire.service.signingName]);
  } catch (e) {
    throw authError(e);
  }
  const credential = await core.credentials.resolve(parsed.accessKeyId);
  if (!credential || !credential.active) throw unrecognizedClient();
  if (credential.expiresAt !== null && credential.expiresAt <= now) {
    throw new AwsError('ExpiredTokenException', 'The security token included in the request is expired', { messageMember: 'message' });
  }
  if (!CredentialResolver.tokenMatches(credential, parsed.securityToken)) throw unrecognizedClient();
  try {
    verifySignature(wire.signed, parsed, credential.secretAccessKey);
  } catch (e) {
    throw authError(e);
  }
  const region = wire.service.global ? 'us-east-1' : parsed.region;
  if (!REGION.test(parsed.region)) throw new AwsError('UnrecognizedClientException', `The region '${parsed.region}' in the credential scope is not valid.`);
  return { principal: credential.principal, region, accessKeyId: parsed.accessKeyId };
}

const unrecognizedClient = () => new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');

function authError(e: unknown): AwsError {
  if (!(e instanceof SigV4Error)) return toAwsError(e);
  switch (e.reason) {
    case 'missing':
      return new AwsError('UnrecognizedClientException', e.message);
    case 'incomplete':
    case 'bad-scope':
      return new AwsError('IncompleteSignatureException', e.message);
    default:
      return new AwsError('InvalidSignatureException', e.message);
  }
}

let isoAt = -1;
let isoText = '';
/** Calls arriving in the same millisecond share one formatted time. */
function isoTime(ms: number): string {
  if (ms !== isoAt) {
    isoAt = ms;
    isoText = new Date(ms).toISOString();
  }
  return isoText;
}

function conditionContext(wire: CallOrigin, call: CallContext, extra: ConditionContext | undefined): ConditionContext {
  return {
    'aws:SourceIp': wire.sourceIp,
    'aws:SecureTransport': wire.secureTransport,
    'aws:CurrentTime': isoTime(call.now),
    'aws:EpochTime': Math.floor(call.now / 1000),
    'aws:RequestedRegion': call.region,
    'aws:UserAgent': wire.userAgent,
    ...extra,
  };
}

export function toAwsError(err: unknown, wire?: CallOrigin): AwsError {
  if (isAwsError(err)) return err;
  // An unexpected failure: keep its detail in the server log, give the caller nothing to exploit.
  const where = wire ? `${wire.service.key}:${wire.op.name}` : 'request';
  console.error(`internal error in ${where}:`, err);
  return internalError();
}

interface AuditFacts {
  requestId: string;
  now: number;
  principal: Principal | undefined;
  region: string;
  accessKeyId: string;
  params: unknown;
  resources: string[];
  error?: AwsError;
}

function audit(core: Core, wire: CallOrigin, f: AuditFacts): void {
  const { op } = wire;
  const p = f.principal;
  const resources = f.resources.filter((r) => r !== '*').map((arn) => ({ type: resourceTypeOf(arn), name: arn }));
  core.audit.record({
    event: {
      event_id: timeOrderedId(f.now),
      request_id: f.requestId,
      account_id: p?.accountId ?? '',
      region: f.region,
      event_time: f.now,
      event_source: wire.service.eventSource,
      event_name: op.name,
      read_only: throttleKindOf(op) === 'read' ? 1 : 0,
      principal_arn: p?.arn ?? '',
      principal_id: p?.userId ?? '',
      principal_type: p ? (p.kind === 'user' ? 'IAMUser' : 'AssumedRole') : '',
      username: p?.name ?? '',
      access_key_id: f.accessKeyId,
      source_ip: wire.sourceIp,
      user_agent: wire.userAgent.slice(0, 1024),
      error_code: f.error?.code ?? null,
      error_message: f.error ? f.error.message.slice(0, 1024) : null,
      request_parameters: JSON.stringify(redact(f.params ?? null, op.sensitive)),
      resources: JSON.stringify(resources),
    },
    resources,
  });
}

const resourceTypes = new Map<string, string>();

/** `arn:aws:ssm:…:parameter/x` → `AWS::SSM::Parameter`, remembered per service and type. */
function resourceTypeOf(arn: string): string {
  const parts = arn.split(':', 6);
  const service = parts[2] ?? '';
  const rest = arn.slice(parts.slice(0, 5).join(':').length + 1);
  const raw = rest.split(/[/:]/, 1)[0] ?? '';
  const key = `${service}:${raw}`;
  let type = resourceTypes.get(key);
  if (type === undefined) {
    type = `AWS::${service.toUpperCase()}::${raw.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`;
    if (resourceTypes.size < 1000) resourceTypes.set(key, type);
  }
  return type;
}
