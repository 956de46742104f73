import { randomUUID } from 'node:crypto';
import { timeOrderedId } from '../audit/ids.js';
import { redact } from '../audit/redact.js';
import type { AuditRecord } from '../audit/trail.js';
import { authorize, authorizeNow, type ConditionContext } from '../iam/authorize.js';
import { CredentialResolver, type Principal, type ResolvedCredential } from '../iam/credentials.js';
import { AwsError, internalError, isAwsError } from './errors.js';
import type { CallContext, Core } from './context.js';
import { actionOf, throttleKindOf, type AnyOperation, type ServiceDef } from './registry.js';
import { parseAuthorization, SigV4Error, verifySignature, type IncomingSignedRequest, type ParsedAuthorization } from './sigv4.js';
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
export function runCall(core: Core, wire: WireCall): Promise<CallOutcome> {
  // Synchronous up to the first wait, so whatever escapes must still leave as a rejection.
  try {
    return start(core, wire);
  } catch (err) {
    return Promise.reject(err);
  }
}

function start(core: Core, wire: WireCall): Promise<CallOutcome> {
  const requestId = randomUUID();
  const now = core.clock.now();
  const refused = (err: unknown): CallOutcome => {
    const error = toAwsError(err, wire);
    audit(core, wire, factsOf(wire), { requestId, now, principal: undefined, region: '', accessKeyId: '', params: undefined, resources: NO_RESOURCES, error });
    return { requestId, error };
  };
  let auth: Authenticated | Promise<Authenticated>;
  try {
    auth = authenticate(core, wire, now);
  } catch (err) {
    return Promise.resolve(refused(err));
  }
  // A cached credential answers at once; only a credential-store lookup costs a turn.
  if (auth instanceof Promise) return auth.then((a) => perform(core, wire, a, requestId, now), refused);
  return perform(core, wire, auth, requestId, now);
}

/** Runs an operation as `call.principal`, from inside the server; see InternalCall. */
export function invokeAs(core: Core, call: InternalCall): Promise<CallOutcome> {
  const origin: CallOrigin = { service: call.service, op: call.op, sourceIp: call.sourceIp, userAgent: call.userAgent, secureTransport: true, decodeInput: () => call.input };
  const region = call.service.global ? 'us-east-1' : call.region;
  return perform(core, origin, { principal: call.principal, region, accessKeyId: call.principal.accessKeyId }, randomUUID(), core.clock.now());
}

async function perform(core: Core, wire: CallOrigin, auth: Authenticated, requestId: string, now: number): Promise<CallOutcome> {
  const { op } = wire;
  const { principal, region, accessKeyId } = auth;
  const facts = factsOf(wire);
  let params: unknown;
  let resources: readonly string[] = NO_RESOURCES;
  try {
    if (!core.throttle.take(principal.accountId, facts.family)) {
      throw new AwsError('ThrottlingException', 'Rate exceeded', { messageMember: 'message' });
    }
    const raw = wire.decodeInput();
    params = raw;
    const input = parseInput(op.input, raw, facts.sensitive);
    const call = new Call(requestId, principal, region, now, core, wire);
    if (op.resources) {
      // Most operations form their ARNs synchronously; awaiting a plain array would still cost a turn.
      const formed = op.resources(input, call);
      resources = Array.isArray(formed) ? formed : await formed;
    } else resources = ANY_RESOURCE;
    if (op.authorization !== 'none') {
      const extra = op.conditionKeys?.(input);
      const pending = authorizeNow({ principal, action: facts.action, resources, context: extra ? { ...call.conditions(), ...extra } : call.conditions(), tags: core.resourceTags });
      if (pending) await pending;
    }
    const answer = op.handler(input, call);
    const output = isThenable(answer) ? await answer : answer;
    audit(core, wire, facts, { requestId, now, principal, region, accessKeyId, params, resources });
    return { requestId, output };
  } catch (err) {
    const error = toAwsError(err, wire);
    audit(core, wire, facts, { requestId, now, principal, region, accessKeyId, params, resources, error });
    return { requestId, error };
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> => typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

const NO_RESOURCES: readonly string[] = [];
const ANY_RESOURCE: readonly string[] = ['*'];

/**
 * One authenticated call. Its methods live on the prototype and its condition context is built
 * on first use, so a call that needs neither allocates nothing for them.
 */
class Call implements CallContext {
  readonly accountId: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  private readonly secureTransport: boolean;
  private context: ConditionContext | undefined;

  constructor(
    readonly requestId: string,
    readonly principal: Principal,
    readonly region: string,
    readonly now: number,
    readonly core: Core,
    origin: CallOrigin,
  ) {
    // Only what conditions need: the signed request (and its Authorization header) stays out of reach of handlers.
    this.accountId = principal.accountId;
    this.sourceIp = origin.sourceIp;
    this.userAgent = origin.userAgent;
    this.secureTransport = origin.secureTransport;
  }

  /** The global condition keys of this call; shared, so never modified. */
  conditions(): ConditionContext {
    this.context ??= {
      'aws:SourceIp': this.sourceIp,
      'aws:SecureTransport': this.secureTransport,
      'aws:CurrentTime': isoTime(this.now),
      'aws:EpochTime': Math.floor(this.now / 1000),
      'aws:RequestedRegion': this.region,
      'aws:UserAgent': this.userAgent,
    };
    return this.context;
  }

  authorize(action: string, resources: readonly string[]): Promise<void> {
    return authorize({ principal: this.principal, action, resources, context: this.conditions(), tags: this.core.resourceTags });
  }

  isAllowed(action: string, resource: string): Promise<boolean> {
    return this.authorize(action, [resource]).then(
      () => true,
      (e: unknown) => {
        if (isAwsError(e) && e.code === 'AccessDeniedException') return false;
        throw e;
      },
    );
  }
}

/** What the pipeline needs of an operation on every call, worked out once per operation. */
interface OperationFacts {
  readonly serviceKey: string;
  /** Throttle family, `ssm:read`. */
  readonly family: string;
  readonly action: string;
  readonly readOnly: 0 | 1;
  readonly sensitive: ReadonlySet<string> | undefined;
}

const operationFacts = new WeakMap<AnyOperation, OperationFacts>();

function factsOf(wire: CallOrigin): OperationFacts {
  const { op, service } = wire;
  let facts = operationFacts.get(op);
  if (facts === undefined || facts.serviceKey !== service.key) {
    const kind = throttleKindOf(op);
    facts = { serviceKey: service.key, family: `${service.key}:${kind}`, action: actionOf(op), readOnly: kind === 'read' ? 1 : 0, sensitive: op.sensitive ? new Set(op.sensitive) : undefined };
    operationFacts.set(op, facts);
  }
  return facts;
}

interface Authenticated {
  principal: Principal;
  region: string;
  accessKeyId: string;
}

function authenticate(core: Core, wire: WireCall, now: number): Authenticated | Promise<Authenticated> {
  let parsed: ParsedAuthorization;
  try {
    parsed = parseAuthorization(wire.signed, new Date(now), [wire.service.signingName]);
  } catch (e) {
    throw authError(e);
  }
  const cached = core.credentials.peek(parsed.accessKeyId);
  if (cached !== undefined) return authenticated(wire, parsed, cached ?? undefined, now);
  return core.credentials.resolve(parsed.accessKeyId).then((credential) => authenticated(wire, parsed, credential, now));
}

function authenticated(wire: WireCall, parsed: ParsedAuthorization, credential: ResolvedCredential | undefined, now: number): Authenticated {
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

let isoSecond = NaN;
let isoPrefix = '';
/** Calls in the same second share its formatted part (`2026-11-27T03:04:05.`); only the milliseconds are added. */
function isoTime(ms: number): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const text = new Date(second * 1000).toISOString();
    // Years past 9999 are written with a sign and six digits; they are not cached.
    if (text.length !== 24) return new Date(ms).toISOString();
    isoSecond = second;
    isoPrefix = text.slice(0, 20);
  }
  const milli = ms - isoSecond * 1000;
  return isoPrefix + (milli < 10 ? '00' : milli < 100 ? '0' : '') + milli + 'Z';
}

export function toAwsError(err: unknown, wire?: CallOrigin): AwsError {
  if (isAwsError(err)) return err;
  // PostgreSQL text cannot hold U+0000 (22021): a caller's value, refused before anything was stored.
  if ((err as { code?: unknown })?.code === '22021') return new AwsError('ValidationException', '1 validation error detected: a value contains the character U+0000, which cannot be stored');
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
  resources: readonly string[];
  error?: AwsError;
}

function audit(core: Core, wire: CallOrigin, facts: OperationFacts, f: AuditFacts): void {
  const { op } = wire;
  const p = f.principal;
  let resources: readonly AuditedResource[];
  let resourcesJson: string;
  if (f.resources.length === 1 && f.resources[0] !== '*') ({ list: resources, json: resourcesJson } = auditedResource(f.resources[0]!));
  else {
    const list: AuditedResource[] = [];
    for (const arn of f.resources) if (arn !== '*') list.push({ type: resourceTypeOf(arn), name: arn });
    resources = list;
    resourcesJson = list.length ? JSON.stringify(list) : '[]';
  }
  core.audit.record({
    event: {
      event_id: timeOrderedId(f.now, f.requestId),
      request_id: f.requestId,
      account_id: p?.accountId ?? '',
      region: f.region,
      event_time: f.now,
      event_source: wire.service.eventSource,
      event_name: op.name,
      read_only: facts.readOnly,
      principal_arn: p?.arn ?? '',
      principal_id: p?.userId ?? '',
      principal_type: p ? (p.kind === 'user' ? 'IAMUser' : 'AssumedRole') : '',
      username: p?.name ?? '',
      access_key_id: f.accessKeyId,
      source_ip: wire.sourceIp,
      user_agent: wire.userAgent.length > 1024 ? wire.userAgent.slice(0, 1024) : wire.userAgent,
      error_code: f.error?.code ?? null,
      error_message: f.error ? f.error.message.slice(0, 1024) : null,
      request_parameters: JSON.stringify(redact(f.params ?? null, op.sensitive)),
      resources: resourcesJson,
    },
    resources,
  });
}

type AuditedResource = AuditRecord['resources'][number];

/** Most calls touch one resource, and the same ones again and again: their audit form is kept. */
const auditedResources = new Map<string, { list: readonly AuditedResource[]; json: string }>();

function auditedResource(arn: string): { list: readonly AuditedResource[]; json: string } {
  let known = auditedResources.get(arn);
  if (known === undefined) {
    const list = Object.freeze([Object.freeze({ type: resourceTypeOf(arn), name: arn })]);
    known = { list, json: JSON.stringify(list) };
    if (auditedResources.size >= 10_000) auditedResources.delete(auditedResources.keys().next().value!);
    auditedResources.set(arn, known);
  }
  return known;
}

/** Resource type names by service, then by the ARN's resource type (`parameter` → `AWS::SSM::Parameter`). */
const resourceTypes = new Map<string, Map<string, string>>();
let resourceTypeCount = 0;

/** `arn:aws:ssm:…:parameter/x` → `AWS::SSM::Parameter`, remembered per service and type. */
function resourceTypeOf(arn: string): string {
  // arn:partition:service:region:account:resource — the resource type ends at its first '/' or ':'.
  const c1 = arn.indexOf(':');
  const c2 = c1 < 0 ? -1 : arn.indexOf(':', c1 + 1);
  const c3 = c2 < 0 ? -1 : arn.indexOf(':', c2 + 1);
  const c4 = c3 < 0 ? -1 : arn.indexOf(':', c3 + 1);
  const c5 = c4 < 0 ? -1 : arn.indexOf(':', c4 + 1);
  const service = c2 < 0 ? '' : arn.slice(c2 + 1, c3 < 0 ? arn.length : c3);
  let raw = '';
  if (c5 >= 0) {
    let end = c5 + 1;
    while (end < arn.length && arn.charCodeAt(end) !== SLASH && arn.charCodeAt(end) !== COLON) end++;
    raw = arn.slice(c5 + 1, end);
  }
  let types = resourceTypes.get(service);
  let type = types?.get(raw);
  if (type === undefined) {
    type = `AWS::${service.toUpperCase()}::${raw.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase())}`;
    if (resourceTypeCount < 1000) {
      if (!types) resourceTypes.set(service, (types = new Map()));
      types.set(raw, type);
      resourceTypeCount++;
    }
  }
  return type;
}

const SLASH = 0x2f;
const COLON = 0x3a;
