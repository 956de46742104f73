import { parseArn } from '../iam/arn.js';
import { checkInput, InputError, ssmParameters, type InputConfig } from './input.js';
import { validation } from './errors.js';
import { EVENTS_SERVICE } from './trust.js';

/** A rule's target as PutTargets accepts it (the members Capstan can act on). */
export interface Target extends InputConfig {
  Id: string;
  Arn: string;
  RoleArn?: string | undefined;
  RunCommandParameters?: { RunCommandTargets: { Key: string; Values: string[] }[] } | undefined;
  HttpParameters?: { PathParameterValues?: string[] | undefined; HeaderParameters?: Record<string, string> | undefined; QueryStringParameters?: Record<string, string> | undefined } | undefined;
  RetryPolicy?: { MaximumRetryAttempts?: number | undefined; MaximumEventAgeInSeconds?: number | undefined } | undefined;
}

/** What a target's ARN names: the three kinds of work a rule can start. */
export type TargetKind =
  | { kind: 'runbook'; document: string; version?: string }
  | { kind: 'run-command'; document: string }
  | { kind: 'api-destination'; arn: string }
  | { kind: 'association'; associationId: string }
  | { kind: 'incident'; responsePlanArn: string };

const DOCUMENT_NAME = /^[a-zA-Z0-9_.:/-]{3,128}$/;
const RUNBOOK_VERSION = /^(\d+|\$DEFAULT|\$LATEST)$/;

/**
 * Runbooks: `arn:aws:ssm:REGION:ACCOUNT:automation-definition/NAME[:VERSION]`; Run Command:
 * `arn:aws:ssm:REGION:[ACCOUNT]:document/NAME`; webhooks: an API destination's ARN. All in the
 * rule's own account and region.
 */
export function classifyTarget(arn: string, region: string, account: string): TargetKind {
  const p = parseArn(arn);
  const where = (what: string) => {
    if (p!.region !== region) throw validation(`Target ${arn}: the ${what} must be in the rule's region, ${region}.`);
  };
  if (p?.service === 'ssm' && p.resource.startsWith('automation-definition/')) {
    where('runbook');
    if (p.account !== account) throw validation(`Target ${arn}: the runbook must be named in the rule's account, ${account}.`);
    const spec = p.resource.slice('automation-definition/'.length);
    const colon = spec.lastIndexOf(':');
    const document = colon < 0 ? spec : spec.slice(0, colon);
    const version = colon < 0 ? undefined : spec.slice(colon + 1);
    if (!DOCUMENT_NAME.test(document)) throw validation(`Target ${arn}: ${document} is not a document name.`);
    if (version !== undefined && !RUNBOOK_VERSION.test(version)) throw validation(`Target ${arn}: the runbook version must be a number, $DEFAULT or $LATEST.`);
    return { kind: 'runbook', document, ...(version !== undefined ? { version } : {}) };
  }
  if (p?.service === 'ssm' && p.resource.startsWith('document/')) {
    where('document');
    if (p.account !== '' && p.account !== account) throw validation(`Target ${arn}: the document must be named in the rule's account, ${account}, or without an account (documents owned by Amazon or shared).`);
    const document = p.resource.slice('document/'.length);
    if (!DOCUMENT_NAME.test(document)) throw validation(`Target ${arn}: ${document} is not a document name.`);
    return { kind: 'run-command', document };
  }
  if (p?.service === 'events' && p.resource.startsWith('api-destination/')) {
    where('API destination');
    if (p.account !== account) throw validation(`Target ${arn}: the API destination must be in the rule's account, ${account}.`);
    return { kind: 'api-destination', arn };
  }
  if (p?.service === 'ssm' && p.resource.startsWith('association/')) {
    where('association');
    if (p.account !== account) throw validation(`Target ${arn}: the association must be in the rule's account, ${account}.`);
    const associationId = p.resource.slice('association/'.length);
    if (!/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(associationId)) throw validation(`Target ${arn}: ${associationId} is not an association id.`);
    return { kind: 'association', associationId };
  }
  // Incident Manager's ARNs name no region: the plan is the rule's account's, in the rule's region.
  if (p?.service === 'ssm-incidents' && p.resource.startsWith('response-plan/')) {
    if (p.account !== account) throw validation(`Target ${arn}: the response plan must be in the rule's account, ${account}.`);
    if (!/^response-plan\/[a-zA-Z0-9_-]{1,200}$/.test(p.resource)) throw validation(`Target ${arn}: ${p.resource.slice('response-plan/'.length)} is not a response plan name.`);
    return { kind: 'incident', responsePlanArn: arn };
  }
  throw validation(
    `Target ${arn} is not a target Capstan can deliver to: use a runbook (arn:aws:ssm:${region}:${account}:automation-definition/NAME), a Run Command document (arn:aws:ssm:${region}::document/NAME), an association (arn:aws:ssm:${region}:${account}:association/ID), a response plan (arn:aws:ssm-incidents::${account}:response-plan/NAME) or an API destination (arn:aws:events:${region}:${account}:api-destination/NAME/ID).`,
  );
}

/** The checks of one target that need nothing but the request: its kind's members, its input. */
export function checkTarget(t: Target, kind: TargetKind): void {
  if (!t.RoleArn) throw validation(`Target ${t.Id}: RoleArn is required: the rule acts as that role (trusting ${EVENTS_SERVICE}) when it starts ${kind.kind === 'api-destination' ? 'the API destination' : kind.kind === 'runbook' ? 'the runbook' : kind.kind === 'association' ? 'the association' : kind.kind === 'incident' ? 'the incident' : 'the command'}.`);
  if (kind.kind === 'run-command' && !t.RunCommandParameters) throw validation(`Target ${t.Id}: a Run Command target needs RunCommandParameters with RunCommandTargets (e.g. Key tag:Env, Values [prod], or Key InstanceIds).`);
  if (kind.kind !== 'run-command' && t.RunCommandParameters) throw validation(`Target ${t.Id}: RunCommandParameters belong to Run Command targets only.`);
  if (kind.kind !== 'api-destination' && t.HttpParameters) throw validation(`Target ${t.Id}: HttpParameters belong to API destination targets only.`);
  if (kind.kind === 'incident' && (t.Input !== undefined || t.InputPath !== undefined || t.InputTransformer !== undefined)) throw validation(`Target ${t.Id}: an incident takes the whole event as its trigger details; it takes no Input.`);
  if (kind.kind === 'association' && (t.Input !== undefined || t.InputPath !== undefined || t.InputTransformer !== undefined)) throw validation(`Target ${t.Id}: an association runs with its own parameters; it takes no Input.`);
  try {
    checkInput(t);
    if (kind.kind !== 'api-destination' && t.Input !== undefined) ssmParameters(t.Input);
  } catch (e) {
    if (e instanceof InputError) throw validation(`Target ${t.Id}: ${e.message}`);
    throw e;
  }
}
