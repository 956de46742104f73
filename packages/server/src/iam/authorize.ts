import { AwsError } from '../protocol/errors.js';
import { parseArn } from './arn.js';
import type { Principal } from './credentials.js';
import { evaluatePolicies, type EvaluationRequest, type PolicyDocument } from './policy/index.js';
import type { Tags } from './service.js';

export type ConditionContext = NonNullable<EvaluationRequest['context']>;

/** Finds the tags of a resource by its ARN, for `aws:ResourceTag/…` and `ssm:resourceTag/…` conditions. */
export type ResourceTagLookup = (arn: string) => Promise<Tags | undefined>;

/**
 * Capabilities register how to read their resources' tags, keyed by `service:resourceType`
 * (`ssm:parameter`, `ssm:document`, …). The authorizer only asks when a policy needs them.
 */
export class ResourceTagRegistry {
  private readonly lookups = new Map<string, (arn: string, accountId: string, region: string) => Promise<Tags | undefined>>();

  register(service: string, resourceType: string, lookup: (arn: string, accountId: string, region: string) => Promise<Tags | undefined>): void {
    this.lookups.set(`${service}:${resourceType}`, lookup);
  }

  async tagsOf(arn: string): Promise<Tags | undefined> {
    const parsed = parseArn(arn);
    if (!parsed) return undefined;
    const type = parsed.resource.split(/[/:]/)[0] ?? '';
    const lookup = this.lookups.get(`${parsed.service}:${type}`);
    return lookup ? lookup(arn, parsed.account, parsed.region) : undefined;
  }
}

const mentionsResourceTags = new WeakMap<PolicyDocument, boolean>();

function needsResourceTags(policies: readonly PolicyDocument[]): boolean {
  for (const p of policies) {
    let known = mentionsResourceTags.get(p);
    if (known === undefined) {
      known = /resourcetag\//i.test(JSON.stringify(p));
      mentionsResourceTags.set(p, known);
    }
    if (known) return true;
  }
  return false;
}

export interface AuthorizationRequest {
  principal: Principal;
  action: string;
  resources: readonly string[];
  context: ConditionContext;
  tags: ResourceTagRegistry;
}

/**
 * Explicit deny beats allow beats the implicit deny, for every resource the call touches;
 * a session policy must allow as well. Throws AccessDeniedException naming action and resource.
 */
export function authorize(req: AuthorizationRequest): Promise<void> {
  try {
    return authorizeNow(req) ?? DONE;
  } catch (e) {
    return Promise.reject(e);
  }
}

const DONE = Promise.resolve();

/**
 * The same decision, reached synchronously when no policy needs resource tags (the usual case):
 * returns undefined when allowed, throws when denied, and returns a promise only when tags had
 * to be looked up.
 */
export function authorizeNow(req: AuthorizationRequest): Promise<void> | undefined {
  const { policySets, wantTags, principalContext } = preparedFor(req.principal);
  const resources = req.resources.length > 0 ? req.resources : ANY;
  if (wantTags) return (async () => {
    for (const resource of resources) decide(req, policySets, principalContext, resource, resource !== '*' ? await req.tags.tagsOf(resource) : undefined);
  })();
  for (const resource of resources) decide(req, policySets, principalContext, resource, undefined);
  return undefined;
}

const ANY: readonly string[] = ['*'];

interface Prepared {
  readonly policySets: readonly (readonly PolicyDocument[])[];
  readonly wantTags: boolean;
  readonly principalContext: EvaluationRequest['principal'];
}

/**
 * What evaluation needs of a principal, worked out once per principal object: the credential
 * cache hands out the same object for every call until IAM changes, then a new one.
 */
const prepared = new WeakMap<Principal, Prepared>();

function preparedFor(principal: Principal): Prepared {
  let p = prepared.get(principal);
  if (p === undefined) {
    const policySets = principal.sessionPolicy ? [principal.policies, [principal.sessionPolicy]] : [principal.policies];
    p = {
      policySets,
      wantTags: policySets.some((set) => needsResourceTags(set)),
      principalContext: { arn: principal.arn, accountId: principal.accountId, userId: principal.userId, tags: principal.tags, ...(principal.kind === 'user' ? { username: principal.name } : {}) },
    };
    prepared.set(principal, p);
  }
  return p;
}

function decide(req: AuthorizationRequest, policySets: readonly (readonly PolicyDocument[])[], principal: EvaluationRequest['principal'], resource: string, resourceTags: EvaluationRequest['resourceTags']): void {
  for (const [i, policies] of policySets.entries()) {
    const result = evaluatePolicies(policies as PolicyDocument[], {
      action: req.action,
      resource,
      principal,
      ...(resourceTags ? { resourceTags } : {}),
      context: req.context,
    });
    if (result.decision === 'Allow') continue;
    const kind = i === 0 ? 'identity-based policy' : 'session policy';
    const why = result.decision === 'ExplicitDeny' ? `with an explicit deny in an ${kind}` : `because no ${kind} allows the ${req.action} action`;
    throw new AwsError('AccessDeniedException', `User: ${req.principal.arn} is not authorized to perform: ${req.action} on resource: ${resource} ${why}`, {
      messageMember: 'Message',
    });
  }
}
