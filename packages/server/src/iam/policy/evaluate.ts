/**
 * Identity-policy evaluation as AWS performs it: an explicit Deny anywhere wins, otherwise
 * any Allow allows, otherwise the request is implicitly denied.
 *
 * Policies are compiled once (patterns to matchers, condition keys classified) and the
 * result cached per document object, so a call does no parsing and builds no RegExp.
 */
import type { PolicyDocument, PolicyStatement } from './document.js';
import { compileConditions, conditionsHold, type CompiledCondition } from './conditions.js';
import { compilePattern, type CompileOptions, type CompiledPattern, type Flavor } from './glob.js';

export interface PrincipalContext {
  arn: string;
  accountId: string;
  userId: string;
  username?: string;
  tags: Record<string, string>;
}

export interface EvaluationRequest {
  /** e.g. "ssm:GetParameter" (service prefix lower-case, action name as AWS spells it). */
  action: string;
  /** An ARN, or "*" for actions without a resource. */
  resource: string;
  principal: PrincipalContext;
  /** Tags of the resource, feeding aws:ResourceTag/<k> and ssm:resourceTag/<k>. */
  resourceTags?: Record<string, string>;
  /**
   * Other keys: 'aws:SourceIp', 'aws:SecureTransport', 'aws:CurrentTime', 'aws:EpochTime',
   * 'aws:RequestedRegion', 'aws:UserAgent', 'aws:RequestTag/<k>', 'aws:TagKeys', and service
   * keys like 'ssm:Overwrite'. aws:CurrentTime and aws:EpochTime default to now.
   */
  context?: Record<string, string | string[] | boolean | number | undefined>;
}

export type Decision = 'Allow' | 'ExplicitDeny' | 'ImplicitDeny';

export interface EvaluationResult {
  decision: Decision;
  /** Sid or index of the statement that decided, for the audit trail (0-based index into Statement when it has no Sid) */
  statement?: string;
  /** Index into the `policies` argument of the policy holding that statement. */
  policyIndex?: number;
}

interface PatternSet {
  readonly any: boolean;
  readonly exact: ReadonlySet<string>;
  readonly others: readonly CompiledPattern[];
}

interface CompiledStatement {
  /** The Sid, or the statement's 0-based index in the document when it has none. */
  readonly label: string;
  readonly actions: PatternSet;
  /** True for NotAction: the statement applies to actions the set does not match. */
  readonly notAction: boolean;
  readonly resources: PatternSet;
  readonly notResource: boolean;
  readonly conditions: readonly CompiledCondition[];
}

export interface CompiledPolicy {
  readonly denies: readonly CompiledStatement[];
  readonly allows: readonly CompiledStatement[];
}

const compiledPolicies = new WeakMap<PolicyDocument, CompiledPolicy>();

const EMPTY_SET: PatternSet = { any: false, exact: new Set(), others: [] };

function compilePatternSet(patterns: readonly string[] | undefined, flavor: Flavor, options: CompileOptions): PatternSet {
  if (patterns === undefined) return EMPTY_SET;
  const compiled = patterns.map((p) => compilePattern(p, flavor, options));
  return {
    any: compiled.some((p) => p.kind === 'any'),
    exact: new Set(compiled.filter((p) => p.kind === 'exact').map((p) => p.text)),
    others: compiled.filter((p) => p.kind === 'other'),
  };
}

function compileStatement(statement: PolicyStatement, index: number, variables: boolean): CompiledStatement {
  const resourceOptions: CompileOptions = { variables };
  return {
    label: statement.Sid ? statement.Sid : String(index),
    actions: compilePatternSet(statement.Action ?? statement.NotAction, 'plain', { variables: false, lowerCase: true }),
    notAction: statement.Action === undefined && statement.NotAction !== undefined,
    resources: compilePatternSet(statement.Resource ?? statement.NotResource, 'resource', resourceOptions),
    notResource: statement.Resource === undefined && statement.NotResource !== undefined,
    conditions: compileConditions(statement.Condition, resourceOptions),
  };
}

/** Compiles (once per document object) into matchers; documents from parsePolicyDocument are frozen. */
export function compilePolicy(document: PolicyDocument): CompiledPolicy {
  const cached = compiledPolicies.get(document);
  if (cached) return cached;
  const variables = document.Version === '2012-10-17';
  const statements = document.Statement.map((s, i) => ({ effect: s.Effect, compiled: compileStatement(s, i, variables) }));
  const compiled: CompiledPolicy = {
    denies: statements.filter((s) => s.effect === 'Deny').map((s) => s.compiled),
    allows: statements.filter((s) => s.effect === 'Allow').map((s) => s.compiled),
  };
  compiledPolicies.set(document, compiled);
  return compiled;
}

function matchesSet(set: PatternSet, subject: string, req: EvaluationRequest): boolean {
  if (set.any || set.exact.has(subject)) return true;
  const others = set.others;
  for (let i = 0; i < others.length; i++) {
    const pattern = others[i];
    if (pattern !== undefined && pattern.test(subject, req)) return true;
  }
  return false;
}

/** Cheapest test first: most statements are ruled out by their actions. */
function applies(statement: CompiledStatement, action: string, req: EvaluationRequest): boolean {
  if (matchesSet(statement.actions, action, req) === statement.notAction) return false;
  if (matchesSet(statement.resources, req.resource, req) === statement.notResource) return false;
  return conditionsHold(statement.conditions, req);
}

function firstApplying(statements: readonly CompiledStatement[], action: string, req: EvaluationRequest): CompiledStatement | undefined {
  for (let i = 0; i < statements.length; i++) {
    const statement = statements[i];
    if (statement !== undefined && applies(statement, action, req)) return statement;
  }
  return undefined;
}

export function evaluatePolicies(policies: readonly PolicyDocument[], request: EvaluationRequest): EvaluationResult {
  const action = request.action.toLowerCase();
  let allow: EvaluationResult | undefined;
  // One pass: a Deny in any policy wins, so Allow statements are only looked at until one applies.
  for (let p = 0; p < policies.length; p++) {
    const policy = policies[p];
    if (policy === undefined) continue;
    const compiled = compilePolicy(policy);
    const deny = firstApplying(compiled.denies, action, request);
    if (deny) return { decision: 'ExplicitDeny', statement: deny.label, policyIndex: p };
    if (allow === undefined) {
      const allowing = firstApplying(compiled.allows, action, request);
      if (allowing) allow = { decision: 'Allow', statement: allowing.label, policyIndex: p };
    }
  }
  return allow ?? { decision: 'ImplicitDeny' };
}
