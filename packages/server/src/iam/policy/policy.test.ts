import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MANAGED_POLICIES,
  MalformedPolicyDocumentError,
  compilePolicy,
  evaluatePolicies,
  managedPolicyByArn,
  parsePolicyDocument,
  type Decision,
  type EvaluationRequest,
  type PolicyDocument,
  type PrincipalContext,
} from './index.js';

type Json = Record<string, unknown>;

const ACCOUNT = '111122223333';
const PARAM = `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/db`;
const paramArn = (name: string, region = 'us-east-1'): string => `arn:aws:ssm:${region}:${ACCOUNT}:parameter/${name}`;

const ALICE: PrincipalContext = {
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  accountId: ACCOUNT,
  userId: 'AIDAALICE',
  username: 'alice',
  tags: { Team: 'ops', project: '*' },
};

const doc = (statements: Json[], version: string | null = '2012-10-17'): PolicyDocument =>
  parsePolicyDocument(JSON.stringify(version === null ? { Statement: statements } : { Version: version, Statement: statements }));

const allowAll = (extra: Json = {}): Json => ({ Effect: 'Allow', Action: '*', Resource: '*', ...extra });
const allowActions = (Action: string | string[], extra: Json = {}): PolicyDocument[] => [doc([allowAll({ Action, ...extra })])];
const allowResources = (Resource: string | string[]): PolicyDocument[] => [doc([allowAll({ Resource })])];
const when = (Condition: Json): PolicyDocument[] => [doc([allowAll({ Condition })])];

type RequestOverrides = Partial<Omit<EvaluationRequest, 'principal'>> & { principal?: Partial<PrincipalContext> };

function request(overrides: RequestOverrides = {}): EvaluationRequest {
  const { principal, ...rest } = overrides;
  return { action: 'ssm:GetParameter', resource: PARAM, ...rest, principal: { ...ALICE, ...principal } };
}

interface Case {
  name: string;
  policies: PolicyDocument[];
  request?: RequestOverrides;
  expect: Decision;
  /** The deciding statement's Sid or index, when the case is about which statement decided. */
  statement?: string;
}

const ctx = (context: NonNullable<EvaluationRequest['context']>): RequestOverrides => ({ context });

const CASES: Case[] = [
  // ----- Actions
  { name: 'exact action allows that action', policies: allowActions('ssm:GetParameter'), expect: 'Allow' },
  { name: 'exact action does not allow a longer action', policies: allowActions('ssm:GetParameter'), request: { action: 'ssm:GetParameters' }, expect: 'ImplicitDeny' },
  { name: 'trailing * action wildcard allows matching actions', policies: allowActions('ssm:Get*'), request: { action: 'ssm:GetParametersByPath' }, expect: 'Allow' },
  { name: 'ssm:Get* does not reach the ssm-incidents service', policies: allowActions('ssm:Get*'), request: { action: 'ssm-incidents:GetIncidentRecord' }, expect: 'ImplicitDeny' },
  { name: 'service wildcard ssm:* allows any ssm action', policies: allowActions('ssm:*'), request: { action: 'ssm:PutParameter' }, expect: 'Allow' },
  { name: 'service wildcard ssm:* does not allow kms actions', policies: allowActions('ssm:*'), request: { action: 'kms:Decrypt' }, expect: 'ImplicitDeny' },
  { name: 'bare * allows every action', policies: allowActions('*'), request: { action: 'iam:CreateUser' }, expect: 'Allow' },
  { name: '? matches exactly one character in an action', policies: allowActions('ssm:GetParameter?'), request: { action: 'ssm:GetParameters' }, expect: 'Allow' },
  { name: '? does not match zero characters', policies: allowActions('ssm:GetParameter?'), expect: 'ImplicitDeny' },
  { name: 'mid-action * wildcard matches', policies: allowActions('ssm:*Parameter'), request: { action: 'ssm:DeleteParameter' }, expect: 'Allow' },
  { name: 'mid-action * wildcard is anchored at the end', policies: allowActions('ssm:*Parameter'), request: { action: 'ssm:DeleteParameters' }, expect: 'ImplicitDeny' },
  { name: 'action match ignores case of the policy', policies: allowActions('SSM:getparameter'), expect: 'Allow' },
  { name: 'action match ignores case of the request', policies: allowActions('ssm:GetParameter'), request: { action: 'SSM:GETPARAMETER' }, expect: 'Allow' },
  { name: 'action wildcard match ignores case', policies: allowActions('ssm:get*'), request: { action: 'ssm:GetDocument' }, expect: 'Allow' },
  { name: 'any entry of an Action list allows', policies: allowActions(['kms:Decrypt', 'ssm:GetParameter']), expect: 'Allow' },
  { name: 'NotAction allows actions not listed', policies: [doc([{ Effect: 'Allow', NotAction: 'ssm:PutParameter', Resource: '*' }])], expect: 'Allow' },
  { name: 'NotAction does not allow the listed actions', policies: [doc([{ Effect: 'Allow', NotAction: ['ssm:Put*', 'iam:*'], Resource: '*' }])], request: { action: 'ssm:PutParameter' }, expect: 'ImplicitDeny' },

  // ----- Resources
  { name: 'exact resource ARN allows', policies: allowResources(PARAM), expect: 'Allow' },
  { name: 'resource match is case-sensitive', policies: allowResources(paramArn('App/db')), expect: 'ImplicitDeny' },
  { name: 'trailing * resource wildcard spans path separators', policies: allowResources(paramArn('app/*')), request: { resource: paramArn('app/db/password') }, expect: 'Allow' },
  { name: 'resource wildcard does not match a sibling path', policies: allowResources(paramArn('app/*')), request: { resource: paramArn('other/db') }, expect: 'ImplicitDeny' },
  { name: '? in a resource matches one character', policies: allowResources(paramArn('app/d?')), expect: 'Allow' },
  { name: '? in a resource does not match two characters', policies: allowResources(paramArn('app/d?')), request: { resource: paramArn('app/dbx') }, expect: 'ImplicitDeny' },
  { name: '* as a whole ARN field matches any region', policies: allowResources(`arn:aws:ssm:*:${ACCOUNT}:parameter/*`), request: { resource: paramArn('x', 'eu-west-1') }, expect: 'Allow' },
  { name: 'account field must still match around a wildcard', policies: allowResources('arn:aws:ssm:*:999999999999:parameter/*'), expect: 'ImplicitDeny' },
  { name: 'a * ending an ARN field may span the remaining fields', policies: allowResources('arn:aws:ssm:*'), expect: 'Allow' },
  { name: 'a * ending a middle ARN field may span the next fields', policies: allowResources('arn:aws:ssm:*:parameter/app/db'), expect: 'Allow' },
  { name: 'a * ending an ARN field keeps the fields before it', policies: allowResources('arn:aws:ssm:*'), request: { resource: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1` }, expect: 'ImplicitDeny' },
  {
    name: 'a * inside an ARN field does not span colons',
    policies: allowResources(`arn:aws:ssm:us*1:${ACCOUNT}:parameter/app/db`),
    request: { resource: `arn:aws:ssm:us-east-1:999999999999:x-1:${ACCOUNT}:parameter/app/db` },
    expect: 'ImplicitDeny',
  },
  { name: 'an ARN Resource does not match a resource-less request (*)', policies: allowResources(paramArn('*')), request: { resource: '*' }, expect: 'ImplicitDeny' },
  { name: 'Resource * matches a resource-less request', policies: allowResources('*'), request: { resource: '*' }, expect: 'Allow' },
  { name: 'NotResource allows resources not listed', policies: [doc([{ Effect: 'Allow', Action: '*', NotResource: paramArn('secret/*') }])], expect: 'Allow' },
  { name: 'NotResource does not allow listed resources', policies: [doc([{ Effect: 'Allow', Action: '*', NotResource: paramArn('secret/*') }])], request: { resource: paramArn('secret/key') }, expect: 'ImplicitDeny' },

  // ----- Allow / Deny combination
  { name: 'no policies is an implicit deny', policies: [], expect: 'ImplicitDeny' },
  { name: 'a policy that does not mention the action implicitly denies', policies: allowActions('kms:*'), expect: 'ImplicitDeny' },
  {
    name: 'explicit deny in a second policy overrides an allow in the first',
    policies: [doc([allowAll()]), doc([{ Sid: 'DenyParams', Effect: 'Deny', Action: 'ssm:GetParameter', Resource: '*' }])],
    expect: 'ExplicitDeny',
    statement: 'DenyParams',
  },
  {
    name: 'explicit deny in the first policy beats an allow in the second',
    policies: [doc([{ Effect: 'Deny', Action: 'ssm:*', Resource: paramArn('app/*') }]), doc([{ Sid: 'AllowAll', ...allowAll() }])],
    expect: 'ExplicitDeny',
    statement: '0',
  },
  { name: 'a deny that does not match leaves the allow', policies: [doc([allowAll({ Sid: 'All' }), { Effect: 'Deny', Action: 'ssm:PutParameter', Resource: '*' }])], expect: 'Allow', statement: 'All' },
  { name: 'a statement without Sid is reported by its index', policies: [doc([{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }, { Effect: 'Allow', Action: 'ssm:*', Resource: '*' }])], expect: 'Allow', statement: '1' },
  {
    name: 'Deny with NotAction denies every action not listed',
    policies: [doc([allowAll(), { Effect: 'Deny', NotAction: 'ssm:Get*', Resource: '*' }])],
    request: { action: 'ssm:PutParameter' },
    expect: 'ExplicitDeny',
  },
  { name: 'Deny with NotAction spares the listed actions', policies: [doc([allowAll(), { Effect: 'Deny', NotAction: 'ssm:Get*', Resource: '*' }])], expect: 'Allow' },
  {
    name: 'a Deny applies only when its condition holds',
    policies: [doc([allowAll(), { Effect: 'Deny', Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }])],
    request: ctx({ 'aws:SecureTransport': true }),
    expect: 'Allow',
  },

  // ----- Policy variables
  { name: '${aws:username} in a resource matches the caller\'s own path', policies: allowResources(paramArn('home/${aws:username}/*')), request: { resource: paramArn('home/alice/token') }, expect: 'Allow' },
  { name: '${aws:username} in a resource does not match another user\'s path', policies: allowResources(paramArn('home/${aws:username}/*')), request: { resource: paramArn('home/bob/token') }, expect: 'ImplicitDeny' },
  {
    name: 'an unresolvable variable makes the Resource entry not match',
    policies: allowResources(paramArn('home/${aws:username}/*')),
    request: { resource: paramArn('home//token'), principal: { username: undefined } },
    expect: 'ImplicitDeny',
  },
  {
    name: 'a variable default applies when the key is absent',
    policies: allowResources(paramArn("home/${aws:username, 'shared'}/*")),
    request: { resource: paramArn('home/shared/token'), principal: { username: undefined } },
    expect: 'Allow',
  },
  { name: '${aws:PrincipalTag/x} resolves the tag ignoring key case', policies: allowResources(paramArn('team/${aws:PrincipalTag/team}/*')), request: { resource: paramArn('team/ops/x') }, expect: 'Allow' },
  { name: '${aws:userid} resolves the unique id', policies: allowResources(paramArn('id/${aws:userid}')), request: { resource: paramArn('id/AIDAALICE') }, expect: 'Allow' },
  { name: '${*} is a literal asterisk, not a wildcard', policies: allowResources(paramArn('star${*}')), request: { resource: paramArn('starX') }, expect: 'ImplicitDeny' },
  { name: '${*} matches a literal asterisk', policies: allowResources(paramArn('star${*}${?}${$}')), request: { resource: paramArn('star*?$') }, expect: 'Allow' },
  { name: 'a substituted value is literal text, not a wildcard', policies: allowResources(paramArn('${aws:PrincipalTag/project}')), request: { resource: paramArn('secret') }, expect: 'ImplicitDeny' },
  {
    name: 'variables combine with mid-pattern wildcards',
    policies: allowResources(`arn:aws:ssm:*:${ACCOUNT}:parameter/\${aws:username}/*/config`),
    request: { resource: paramArn('alice/svc/config', 'eu-west-1') },
    expect: 'Allow',
  },
  {
    name: 'variables with mid-pattern wildcards still require the variable',
    policies: allowResources(`arn:aws:ssm:*:${ACCOUNT}:parameter/\${aws:username}/*/config`),
    request: { resource: paramArn('bob/svc/config', 'eu-west-1') },
    expect: 'ImplicitDeny',
  },
  {
    name: 'a substituted value is escaped inside a wildcard pattern',
    policies: allowResources(`arn:aws:ssm:*:${ACCOUNT}:parameter/\${aws:username}/*/config`),
    request: { resource: paramArn('aXb/svc/config', 'eu-west-1'), principal: { username: 'a.b' } },
    expect: 'ImplicitDeny',
  },
  { name: 'version 2008-10-17 treats ${...} as literal text', policies: [doc([allowAll({ Resource: paramArn('home/${aws:username}') })], '2008-10-17')], request: { resource: paramArn('home/alice') }, expect: 'ImplicitDeny' },
  { name: 'a document without Version treats ${...} as literal text', policies: [doc([allowAll({ Resource: paramArn('home/${aws:username}') })], null)], request: { resource: paramArn('home/${aws:username}') }, expect: 'Allow' },
  { name: 'a variable in a condition value is substituted', policies: when({ StringEquals: { 'aws:ResourceTag/owner': '${aws:username}' } }), request: { resourceTags: { owner: 'alice' } }, expect: 'Allow' },
  { name: 'a substituted condition value must still be equal', policies: when({ StringEquals: { 'aws:ResourceTag/owner': '${aws:username}' } }), request: { resourceTags: { owner: 'bob' } }, expect: 'ImplicitDeny' },
  { name: '${aws:SourceIp} resolves from the request context', policies: when({ StringEquals: { 'aws:RequestTag/origin': '${aws:SourceIp}' } }), request: ctx({ 'aws:SourceIp': '10.0.0.1', 'aws:RequestTag/origin': '10.0.0.1' }), expect: 'Allow' },

  // ----- String operators
  { name: 'StringEquals matches an equal value', policies: when({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } }), request: ctx({ 'aws:RequestedRegion': 'us-east-1' }), expect: 'Allow' },
  { name: 'StringEquals is case-sensitive', policies: when({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } }), request: ctx({ 'aws:RequestedRegion': 'US-EAST-1' }), expect: 'ImplicitDeny' },
  { name: 'StringEquals with the key absent does not match', policies: when({ StringEquals: { 'aws:RequestedRegion': 'us-east-1' } }), expect: 'ImplicitDeny' },
  { name: 'StringNotEquals matches a different value', policies: when({ StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } }), request: ctx({ 'aws:RequestedRegion': 'eu-west-1' }), expect: 'Allow' },
  { name: 'StringNotEquals does not match an equal value', policies: when({ StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } }), request: ctx({ 'aws:RequestedRegion': 'us-east-1' }), expect: 'ImplicitDeny' },
  { name: 'StringNotEquals with the key absent matches', policies: when({ StringNotEquals: { 'aws:RequestedRegion': 'us-east-1' } }), expect: 'Allow' },
  { name: 'StringEqualsIgnoreCase matches regardless of case', policies: when({ StringEqualsIgnoreCase: { 'aws:UserAgent': 'Capstan-CLI' } }), request: ctx({ 'aws:UserAgent': 'capstan-cli' }), expect: 'Allow' },
  { name: 'StringEqualsIgnoreCase still needs equal text', policies: when({ StringEqualsIgnoreCase: { 'aws:UserAgent': 'Capstan-CLI' } }), request: ctx({ 'aws:UserAgent': 'capstan-agent' }), expect: 'ImplicitDeny' },
  { name: 'StringNotEqualsIgnoreCase does not match a case variant', policies: when({ StringNotEqualsIgnoreCase: { 'aws:UserAgent': 'Capstan-CLI' } }), request: ctx({ 'aws:UserAgent': 'CAPSTAN-cli' }), expect: 'ImplicitDeny' },
  { name: 'StringNotEqualsIgnoreCase matches a different value', policies: when({ StringNotEqualsIgnoreCase: { 'aws:UserAgent': 'Capstan-CLI' } }), request: ctx({ 'aws:UserAgent': 'aws-cli' }), expect: 'Allow' },
  { name: 'StringLike matches * and ? wildcards', policies: when({ StringLike: { 'aws:UserAgent': 'aws-cli/2.?.*' } }), request: ctx({ 'aws:UserAgent': 'aws-cli/2.1.7 Python/3' }), expect: 'Allow' },
  { name: 'StringLike does not match outside the pattern', policies: when({ StringLike: { 'aws:UserAgent': 'aws-cli/2.?.*' } }), request: ctx({ 'aws:UserAgent': 'aws-cli/1.1.7' }), expect: 'ImplicitDeny' },
  { name: 'StringLike is case-sensitive', policies: when({ StringLike: { 'aws:UserAgent': 'aws-cli/*' } }), request: ctx({ 'aws:UserAgent': 'AWS-CLI/2' }), expect: 'ImplicitDeny' },
  { name: 'StringNotLike matches a value outside the pattern', policies: when({ StringNotLike: { 'aws:UserAgent': 'aws-cli/*' } }), request: ctx({ 'aws:UserAgent': 'boto3/1.0' }), expect: 'Allow' },
  { name: 'StringNotLike does not match a value inside the pattern', policies: when({ StringNotLike: { 'aws:UserAgent': 'aws-cli/*' } }), request: ctx({ 'aws:UserAgent': 'aws-cli/2' }), expect: 'ImplicitDeny' },

  // ----- Numeric operators
  { name: 'NumericEquals matches an equal number', policies: when({ NumericEquals: { 'ssm:MaxResults': '10' } }), request: ctx({ 'ssm:MaxResults': 10 }), expect: 'Allow' },
  { name: 'NumericEquals compares numerically, not textually', policies: when({ NumericEquals: { 'ssm:MaxResults': '10' } }), request: ctx({ 'ssm:MaxResults': '10.0' }), expect: 'Allow' },
  { name: 'NumericEquals does not match a different number', policies: when({ NumericEquals: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': 11 }), expect: 'ImplicitDeny' },
  { name: 'NumericNotEquals matches a different number', policies: when({ NumericNotEquals: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': 11 }), expect: 'Allow' },
  { name: 'NumericNotEquals does not match an equal number', policies: when({ NumericNotEquals: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': 10 }), expect: 'ImplicitDeny' },
  { name: 'NumericLessThan is strict', policies: when({ NumericLessThan: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': 10 }), expect: 'ImplicitDeny' },
  { name: 'NumericLessThan matches a smaller number', policies: when({ NumericLessThan: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': '9' }), expect: 'Allow' },
  { name: 'NumericLessThanEquals includes the bound', policies: when({ NumericLessThanEquals: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': 10 }), expect: 'Allow' },
  { name: 'NumericGreaterThan is strict', policies: when({ NumericGreaterThan: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': 10 }), expect: 'ImplicitDeny' },
  { name: 'NumericGreaterThanEquals includes the bound', policies: when({ NumericGreaterThanEquals: { 'ssm:MaxResults': 10 } }), request: ctx({ 'ssm:MaxResults': 10 }), expect: 'Allow' },
  { name: 'a non-numeric request value matches no numeric comparison', policies: when({ NumericGreaterThanEquals: { 'ssm:MaxResults': 0 } }), request: ctx({ 'ssm:MaxResults': 'lots' }), expect: 'ImplicitDeny' },

  // ----- Date operators
  { name: 'DateLessThan on aws:CurrentTime before the bound', policies: when({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }), request: ctx({ 'aws:CurrentTime': '2029-12-31T23:59:59Z' }), expect: 'Allow' },
  { name: 'DateLessThan on aws:CurrentTime after the bound', policies: when({ DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }), request: ctx({ 'aws:CurrentTime': '2030-01-01T00:00:01Z' }), expect: 'ImplicitDeny' },
  { name: 'DateGreaterThan compares instants across time zones', policies: when({ DateGreaterThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }), request: ctx({ 'aws:CurrentTime': '2030-01-01T00:30:00+01:00' }), expect: 'ImplicitDeny' },
  { name: 'DateGreaterThanEquals includes the bound', policies: when({ DateGreaterThanEquals: { 'aws:CurrentTime': '2030-01-01' } }), request: ctx({ 'aws:CurrentTime': '2030-01-01T00:00:00Z' }), expect: 'Allow' },
  { name: 'DateLessThanEquals includes the bound', policies: when({ DateLessThanEquals: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }), request: ctx({ 'aws:CurrentTime': '2030-01-01T00:00:00.000Z' }), expect: 'Allow' },
  { name: 'DateEquals accepts epoch seconds against ISO 8601', policies: when({ DateEquals: { 'aws:CurrentTime': '1893456000' } }), request: ctx({ 'aws:CurrentTime': '2030-01-01T00:00:00Z' }), expect: 'Allow' },
  { name: 'DateNotEquals does not match the same instant', policies: when({ DateNotEquals: { 'aws:EpochTime': '2030-01-01T00:00:00Z' } }), request: ctx({ 'aws:EpochTime': 1893456000 }), expect: 'ImplicitDeny' },
  { name: 'aws:CurrentTime defaults to now', policies: when({ DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' }, DateLessThan: { 'aws:CurrentTime': '2200-01-01T00:00:00Z' } }), expect: 'Allow' },

  // ----- Bool and Binary
  { name: 'Bool matches aws:SecureTransport true', policies: when({ Bool: { 'aws:SecureTransport': 'true' } }), request: ctx({ 'aws:SecureTransport': true }), expect: 'Allow' },
  { name: 'Bool does not match aws:SecureTransport false', policies: when({ Bool: { 'aws:SecureTransport': true } }), request: ctx({ 'aws:SecureTransport': 'false' }), expect: 'ImplicitDeny' },
  { name: 'Bool with the key absent does not match', policies: when({ Bool: { 'aws:SecureTransport': 'true' } }), expect: 'ImplicitDeny' },
  { name: 'BinaryEquals matches the same bytes', policies: when({ BinaryEquals: { 'test:Blob': 'QmluYXJ5VmFsdWU=' } }), request: ctx({ 'test:Blob': 'QmluYXJ5VmFsdWU=' }), expect: 'Allow' },
  { name: 'BinaryEquals does not match other bytes', policies: when({ BinaryEquals: { 'test:Blob': 'QmluYXJ5VmFsdWU=' } }), request: ctx({ 'test:Blob': 'T3RoZXI=' }), expect: 'ImplicitDeny' },

  // ----- IP address operators
  { name: 'IpAddress matches an IPv4 address inside the CIDR', policies: when({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }), request: ctx({ 'aws:SourceIp': '203.0.113.77' }), expect: 'Allow' },
  { name: 'IpAddress does not match an IPv4 address outside the CIDR', policies: when({ IpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }), request: ctx({ 'aws:SourceIp': '203.0.114.1' }), expect: 'ImplicitDeny' },
  { name: 'IpAddress matches an IPv6 address inside the CIDR', policies: when({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }), request: ctx({ 'aws:SourceIp': '2001:db8:1234::5' }), expect: 'Allow' },
  { name: 'IpAddress does not match an IPv6 address outside the CIDR', policies: when({ IpAddress: { 'aws:SourceIp': '2001:db8::/32' } }), request: ctx({ 'aws:SourceIp': '2001:db9::1' }), expect: 'ImplicitDeny' },
  { name: 'IpAddress never matches an IPv4 address against an IPv6 CIDR', policies: when({ IpAddress: { 'aws:SourceIp': '::/0' } }), request: ctx({ 'aws:SourceIp': '10.1.2.3' }), expect: 'ImplicitDeny' },
  { name: 'IpAddress reads an IPv4-mapped IPv6 source as IPv4', policies: when({ IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }), request: ctx({ 'aws:SourceIp': '::ffff:10.1.2.3' }), expect: 'Allow' },
  { name: 'IpAddress without a prefix length is a single host', policies: when({ IpAddress: { 'aws:SourceIp': '192.0.2.10' } }), request: ctx({ 'aws:SourceIp': '192.0.2.11' }), expect: 'ImplicitDeny' },
  { name: 'IpAddress with several CIDRs matches any of them', policies: when({ IpAddress: { 'aws:SourceIp': ['192.0.2.0/24', '2001:db8:abcd::/48'] } }), request: ctx({ 'aws:SourceIp': '2001:db8:abcd:12::1' }), expect: 'Allow' },
  { name: 'NotIpAddress matches an address outside the CIDR', policies: when({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }), request: ctx({ 'aws:SourceIp': '198.51.100.1' }), expect: 'Allow' },
  { name: 'NotIpAddress does not match an address inside the CIDR', policies: when({ NotIpAddress: { 'aws:SourceIp': 'fd00::/8' } }), request: ctx({ 'aws:SourceIp': 'fd12:3456::1' }), expect: 'ImplicitDeny' },
  { name: 'NotIpAddress with the key absent matches', policies: when({ NotIpAddress: { 'aws:SourceIp': '203.0.113.0/24' } }), expect: 'Allow' },

  // ----- ARN operators
  { name: 'ArnLike matches aws:PrincipalArn with a wildcard', policies: when({ ArnLike: { 'aws:PrincipalArn': `arn:aws:iam::${ACCOUNT}:user/*` } }), expect: 'Allow' },
  { name: 'ArnLike compares each ARN field separately', policies: when({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:user/alice' } }), expect: 'Allow' },
  { name: 'ArnLike * matches any ARN', policies: when({ ArnLike: { 'aws:PrincipalArn': '*' } }), expect: 'Allow' },
  {
    name: 'ArnLike wildcards inside a field do not span colons',
    policies: when({ ArnLike: { 'aws:SourceArn': `arn:aws:ssm:us*:${ACCOUNT}:document/*` } }),
    request: ctx({ 'aws:SourceArn': `arn:aws:ssm:us-east-1:999999999999:x:${ACCOUNT}:document/a` }),
    expect: 'ImplicitDeny',
  },
  { name: 'ArnLike does not match another account', policies: when({ ArnLike: { 'aws:PrincipalArn': 'arn:aws:iam::999999999999:user/*' } }), expect: 'ImplicitDeny' },
  { name: 'ArnEquals matches the exact ARN', policies: when({ ArnEquals: { 'aws:PrincipalArn': ALICE.arn } }), expect: 'Allow' },
  { name: 'ArnNotEquals does not match the same ARN', policies: when({ ArnNotEquals: { 'aws:PrincipalArn': ALICE.arn } }), expect: 'ImplicitDeny' },
  { name: 'ArnNotLike matches an ARN outside the pattern', policies: when({ ArnNotLike: { 'aws:PrincipalArn': 'arn:aws:iam::*:role/*' } }), expect: 'Allow' },
  { name: 'ArnNotLike with the key absent matches', policies: when({ ArnNotLike: { 'aws:SourceArn': 'arn:aws:iam::*:role/*' } }), expect: 'Allow' },
  { name: 'ArnLike with the key absent does not match', policies: when({ ArnLike: { 'aws:SourceArn': 'arn:aws:iam::*:role/*' } }), expect: 'ImplicitDeny' },

  // ----- Null and IfExists
  { name: 'Null true matches when the key is absent', policies: when({ Null: { 'aws:TokenIssueTime': 'true' } }), expect: 'Allow' },
  { name: 'Null true does not match when the key is present', policies: when({ Null: { 'aws:TokenIssueTime': true } }), request: ctx({ 'aws:TokenIssueTime': '2030-01-01T00:00:00Z' }), expect: 'ImplicitDeny' },
  { name: 'Null false matches when the key is present', policies: when({ Null: { 'aws:ResourceTag/env': 'false' } }), request: { resourceTags: { env: 'prod' } }, expect: 'Allow' },
  { name: 'Null false does not match when the key is absent', policies: when({ Null: { 'aws:ResourceTag/env': 'false' } }), request: { resourceTags: {} }, expect: 'ImplicitDeny' },
  { name: 'StringEqualsIfExists matches when the key is absent', policies: when({ StringEqualsIfExists: { 'aws:RequestedRegion': 'us-east-1' } }), expect: 'Allow' },
  { name: 'StringEqualsIfExists checks the value when the key is present', policies: when({ StringEqualsIfExists: { 'aws:RequestedRegion': 'us-east-1' } }), request: ctx({ 'aws:RequestedRegion': 'eu-west-1' }), expect: 'ImplicitDeny' },
  { name: 'NumericLessThanIfExists matches when the key is absent', policies: when({ NumericLessThanIfExists: { 'ssm:MaxResults': 5 } }), expect: 'Allow' },
  { name: 'NumericLessThanIfExists checks the value when present', policies: when({ NumericLessThanIfExists: { 'ssm:MaxResults': 5 } }), request: ctx({ 'ssm:MaxResults': 50 }), expect: 'ImplicitDeny' },
  {
    name: 'BoolIfExists makes a Deny fire when the key is absent',
    policies: [doc([allowAll(), { Effect: 'Deny', Action: '*', Resource: '*', Condition: { BoolIfExists: { 'aws:SecureTransport': 'false' } } }])],
    expect: 'ExplicitDeny',
  },

  // ----- Set operators on aws:TagKeys
  { name: 'ForAnyValue:StringEquals matches when one tag key is listed', policies: when({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'owner'] } }), request: ctx({ 'aws:TagKeys': ['cost', 'owner'] }), expect: 'Allow' },
  { name: 'ForAnyValue:StringEquals does not match when none is listed', policies: when({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env', 'owner'] } }), request: ctx({ 'aws:TagKeys': ['cost'] }), expect: 'ImplicitDeny' },
  { name: 'ForAnyValue with the key missing does not match', policies: when({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }), expect: 'ImplicitDeny' },
  { name: 'ForAnyValue with an empty key does not match', policies: when({ 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['env'] } }), request: ctx({ 'aws:TagKeys': [] }), expect: 'ImplicitDeny' },
  { name: 'ForAllValues:StringEquals matches when every tag key is listed', policies: when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'owner'] } }), request: ctx({ 'aws:TagKeys': ['owner', 'env'] }), expect: 'Allow' },
  { name: 'ForAllValues:StringEquals does not match when one is not listed', policies: when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env', 'owner'] } }), request: ctx({ 'aws:TagKeys': ['env', 'cost'] }), expect: 'ImplicitDeny' },
  { name: 'ForAllValues with the key missing matches', policies: when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }), expect: 'Allow' },
  { name: 'ForAllValues with an empty key matches', policies: when({ 'ForAllValues:StringEquals': { 'aws:TagKeys': ['env'] } }), request: ctx({ 'aws:TagKeys': [] }), expect: 'Allow' },
  { name: 'ForAllValues:StringLike applies the pattern to every value', policies: when({ 'ForAllValues:StringLike': { 'aws:TagKeys': ['app:*'] } }), request: ctx({ 'aws:TagKeys': ['app:name', 'env'] }), expect: 'ImplicitDeny' },
  { name: 'ForAnyValue:StringNotEquals matches when some value is unlisted', policies: when({ 'ForAnyValue:StringNotEquals': { 'aws:TagKeys': ['env'] } }), request: ctx({ 'aws:TagKeys': ['env', 'cost'] }), expect: 'Allow' },
  { name: 'ForAllValues:StringNotEquals fails when any value is listed', policies: when({ 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['env'] } }), request: ctx({ 'aws:TagKeys': ['env', 'cost'] }), expect: 'ImplicitDeny' },
  { name: 'a plain operator on a multivalued key matches when any value does', policies: when({ StringEquals: { 'aws:TagKeys': 'env' } }), request: ctx({ 'aws:TagKeys': ['cost', 'env'] }), expect: 'Allow' },

  // ----- Keys from principal, resource and tags
  { name: 'aws:ResourceTag reads resourceTags', policies: when({ StringEquals: { 'aws:ResourceTag/env': 'dev' } }), request: { resourceTags: { env: 'dev' } }, expect: 'Allow' },
  { name: 'aws:ResourceTag does not match another value', policies: when({ StringEquals: { 'aws:ResourceTag/env': 'dev' } }), request: { resourceTags: { env: 'prod' } }, expect: 'ImplicitDeny' },
  { name: 'aws:ResourceTag ignores the case of the tag key', policies: when({ StringEquals: { 'aws:ResourceTag/ENV': 'dev' } }), request: { resourceTags: { Env: 'dev' } }, expect: 'Allow' },
  { name: 'ssm:resourceTag reads resourceTags', policies: when({ StringEquals: { 'ssm:resourceTag/env': 'dev' } }), request: { resourceTags: { env: 'dev' } }, expect: 'Allow' },
  { name: 'ssm:resourceTag does not match a missing tag', policies: when({ StringEquals: { 'ssm:resourceTag/env': 'dev' } }), request: { resourceTags: { owner: 'dev' } }, expect: 'ImplicitDeny' },
  { name: 'aws:PrincipalTag reads the principal tags', policies: when({ StringEquals: { 'aws:PrincipalTag/team': 'ops' } }), expect: 'Allow' },
  { name: 'aws:PrincipalTag does not match another value', policies: when({ StringEquals: { 'aws:PrincipalTag/Team': 'dev' } }), expect: 'ImplicitDeny' },
  { name: 'aws:ResourceAccount comes from the resource ARN', policies: when({ StringEquals: { 'aws:ResourceAccount': ACCOUNT } }), expect: 'Allow' },
  { name: 'aws:ResourceAccount is absent for resource *', policies: when({ StringEquals: { 'aws:ResourceAccount': ACCOUNT } }), request: { resource: '*' }, expect: 'ImplicitDeny' },
  { name: 'aws:PrincipalAccount, aws:username and aws:userid come from the principal', policies: when({ StringEquals: { 'aws:PrincipalAccount': ACCOUNT, 'aws:username': 'alice', 'aws:userid': 'AIDAALICE' } }), expect: 'Allow' },
  { name: 'condition key names are case-insensitive in the policy', policies: when({ IpAddress: { 'AWS:SOURCEIP': '10.0.0.0/8' } }), request: ctx({ 'aws:SourceIp': '10.0.0.1' }), expect: 'Allow' },
  { name: 'condition key names are case-insensitive in the request', policies: when({ Bool: { 'ssm:Overwrite': 'true' } }), request: ctx({ 'SSM:OVERWRITE': true }), expect: 'Allow' },

  // ----- Combining values, keys and operators
  { name: 'values listed for one key are ORed', policies: when({ StringEquals: { 'aws:ResourceTag/env': ['dev', 'test'] } }), request: { resourceTags: { env: 'test' } }, expect: 'Allow' },
  { name: 'a value outside the ORed list does not match', policies: when({ StringEquals: { 'aws:ResourceTag/env': ['dev', 'test'] } }), request: { resourceTags: { env: 'prod' } }, expect: 'ImplicitDeny' },
  { name: 'keys within one operator are ANDed (all hold)', policies: when({ StringEquals: { 'aws:ResourceTag/env': 'dev', 'aws:PrincipalTag/team': 'ops' } }), request: { resourceTags: { env: 'dev' } }, expect: 'Allow' },
  { name: 'keys within one operator are ANDed (one fails)', policies: when({ StringEquals: { 'aws:ResourceTag/env': 'dev', 'aws:PrincipalTag/team': 'dev' } }), request: { resourceTags: { env: 'dev' } }, expect: 'ImplicitDeny' },
  {
    name: 'operators are ANDed',
    policies: when({ StringEquals: { 'aws:ResourceTag/env': 'dev' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }),
    request: { resourceTags: { env: 'dev' }, context: { 'aws:SourceIp': '192.168.0.1' } },
    expect: 'ImplicitDeny',
  },
];

describe('evaluatePolicies', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const result = evaluatePolicies(c.policies, request(c.request));
      assert.equal(result.decision, c.expect);
      if (c.statement !== undefined) assert.equal(result.statement, c.statement);
    });
  }

  it('reports the index of the deciding policy', () => {
    const policies = [doc([{ Effect: 'Allow', Action: 'kms:*', Resource: '*' }]), doc([{ Sid: 'Params', ...allowAll() }])];
    assert.deepEqual(evaluatePolicies(policies, request()), { decision: 'Allow', statement: 'Params', policyIndex: 1 });
  });

  it('compiles each document once and reuses it', () => {
    const policy = doc([allowAll()]);
    assert.equal(compilePolicy(policy), compilePolicy(policy));
    assert.notEqual(compilePolicy(policy), compilePolicy(doc([allowAll()])));
  });

  it('builds no RegExp per call once a policy is compiled', () => {
    const policies = [
      doc([
        allowAll({ Action: 'ssm:*Parameter?', Resource: `arn:aws:ssm:us*:${ACCOUNT}:parameter/*/db` }),
        allowAll({ Resource: `arn:aws:ssm:*:${ACCOUNT}:parameter/\${aws:username}/*/x`, Condition: { StringLike: { 'aws:UserAgent': 'a*b?c' } } }),
      ]),
    ];
    const req = request({ action: 'ssm:GetParameters', resource: paramArn('alice/q/x'), context: { 'aws:UserAgent': 'aXXbYc' } });
    assert.equal(evaluatePolicies(policies, req).decision, 'Allow');
    const original = globalThis.RegExp;
    let constructed = 0;
    globalThis.RegExp = new Proxy(original, {
      construct(target, args: unknown[]) {
        constructed++;
        return Reflect.construct(target, args) as object;
      },
    });
    try {
      for (let i = 0; i < 100; i++) evaluatePolicies(policies, req);
    } finally {
      globalThis.RegExp = original;
    }
    assert.equal(constructed, 0);
  });
});

describe('parsePolicyDocument', () => {
  const statement = (extra: Json = {}): Json => ({ Effect: 'Allow', Action: 'ssm:GetParameter', Resource: '*', ...extra });
  const withStatement = (s: Json): string => JSON.stringify({ Version: '2012-10-17', Statement: [statement(), s] });

  const MALFORMED: Array<{ name: string; text: string; message: RegExp }> = [
    { name: 'invalid JSON', text: '{"Version": "2012-10-17",', message: /^Policy document must be valid JSON/ },
    { name: 'a JSON array', text: '[]', message: /must be a JSON object/ },
    { name: 'an unsupported Version', text: JSON.stringify({ Version: '2020-01-01', Statement: statement() }), message: /Version must be "2012-10-17" or "2008-10-17"/ },
    { name: 'a missing Statement', text: JSON.stringify({ Version: '2012-10-17' }), message: /must contain a Statement/ },
    { name: 'an unknown top-level element', text: JSON.stringify({ Version: '2012-10-17', Statement: statement(), Extra: 1 }), message: /Unknown policy element Extra/ },
    { name: 'a statement that is not an object', text: JSON.stringify({ Statement: ['x'] }), message: /Statement 1: a statement must be a JSON object/ },
    { name: 'an unknown statement element', text: withStatement(statement({ Actions: 'x' })), message: /Statement 2: Unknown element Actions/ },
    { name: 'a Principal', text: withStatement(statement({ Principal: { AWS: '*' } })), message: /Statement 2: Principal is not allowed; an identity policy should not specify a principal/ },
    { name: 'a NotPrincipal', text: withStatement(statement({ NotPrincipal: '*' })), message: /Statement 2: NotPrincipal is not allowed/ },
    { name: 'a missing Effect', text: withStatement({ Action: '*', Resource: '*' }), message: /Statement 2: Effect is required/ },
    { name: 'a lower-case Effect', text: withStatement(statement({ Effect: 'allow' })), message: /Statement 2: Effect must be Allow or Deny/ },
    { name: 'both Action and NotAction', text: withStatement(statement({ NotAction: 'ssm:PutParameter' })), message: /^Statement 2: Action and NotAction cannot both be present$/ },
    { name: 'neither Action nor NotAction', text: withStatement({ Effect: 'Allow', Resource: '*' }), message: /Statement 2: Action or NotAction is required/ },
    { name: 'both Resource and NotResource', text: withStatement(statement({ NotResource: '*' })), message: /Statement 2: Resource and NotResource cannot both be present/ },
    { name: 'neither Resource nor NotResource', text: withStatement({ Effect: 'Allow', Action: '*' }), message: /Statement 2: Resource or NotResource is required/ },
    { name: 'an empty Action list', text: withStatement(statement({ Action: [] })), message: /Statement 2: Action must not be empty/ },
    { name: 'a non-string Action', text: withStatement(statement({ Action: [1] })), message: /Statement 2: Action must be a string or an array of strings/ },
    { name: 'an action without a service prefix', text: withStatement(statement({ Action: 'GetParameter' })), message: /Statement 2: Action "GetParameter" must be "\*" or "<service>:<action>"/ },
    { name: 'a Resource that is not an ARN', text: withStatement(statement({ Resource: 'parameter/x' })), message: /Statement 2: Resource "parameter\/x" must be in ARN format or "\*"/ },
    { name: 'an unknown condition operator', text: withStatement(statement({ Condition: { StringEqualz: { 'aws:username': 'a' } } })), message: /Unknown condition operator StringEqualz/ },
    { name: 'IfExists on Null', text: withStatement(statement({ Condition: { NullIfExists: { 'aws:username': 'true' } } })), message: /Unknown condition operator NullIfExists/ },
    { name: 'a set qualifier on Null', text: withStatement(statement({ Condition: { 'ForAnyValue:Null': { 'aws:TagKeys': 'true' } } })), message: /Unknown condition operator ForAnyValue:Null/ },
    { name: 'a condition operator mapped to a list', text: withStatement(statement({ Condition: { StringEquals: ['a'] } })), message: /must map condition keys to values/ },
    { name: 'a condition key without a service prefix', text: withStatement(statement({ Condition: { StringEquals: { username: 'a' } } })), message: /Condition key "username" must be prefaced by a service prefix/ },
    { name: 'an object as a condition value', text: withStatement(statement({ Condition: { StringEquals: { 'aws:username': { a: 1 } } } })), message: /StringEquals value for aws:username must be a string, number, boolean/ },
    { name: 'a Null value other than true or false', text: withStatement(statement({ Condition: { Null: { 'aws:username': 'maybe' } } })), message: /Null condition on aws:username takes true or false/ },
    { name: 'a non-alphanumeric Sid', text: withStatement(statement({ Sid: 'allow-all' })), message: /Statement 2: Sid must be alphanumeric/ },
    { name: 'a duplicate Sid', text: JSON.stringify({ Statement: [statement({ Sid: 'A' }), statement({ Sid: 'A' })] }), message: /Statement 2: Sid A is not unique/ },
  ];

  for (const c of MALFORMED) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        () => parsePolicyDocument(c.text),
        (e: unknown) => e instanceof MalformedPolicyDocumentError && e.code === 'MalformedPolicyDocument' && c.message.test(e.message),
      );
    });
  }

  const sized = (nonWhitespace: number, padding: string): string => {
    const base = JSON.stringify({ Version: '2012-10-17', Statement: { Effect: 'Allow', Action: '*', Resource: 'arn:aws:ssm:::parameter/' } });
    const filler = 'x'.repeat(nonWhitespace - base.length);
    return base.replace('parameter/', `parameter/${filler}`).replace(/,/g, `,${padding}`);
  };

  it('rejects a document over 6,144 non-whitespace characters', () => {
    assert.throws(
      () => parsePolicyDocument(sized(6145, '')),
      (e: unknown) => e instanceof MalformedPolicyDocumentError && e.code === 'LimitExceeded' && /PolicySize: 6144/.test(e.message),
    );
  });

  it('does not count whitespace toward the size limit', () => {
    const text = sized(6144, ' \n\t'.repeat(200));
    assert.ok(text.length > 6144);
    assert.equal(parsePolicyDocument(text).Statement.length, 1);
  });

  it('honours a caller-supplied size limit', () => {
    assert.throws(() => parsePolicyDocument(sized(2049, ''), { maxSize: 2048 }), /PolicySize: 2048/);
  });

  it('normalises single values to lists and condition values to strings', () => {
    const parsed = parsePolicyDocument(
      JSON.stringify({ Version: '2008-10-17', Statement: { Sid: 'S1', Effect: 'Deny', NotAction: 'ssm:*', NotResource: '*', Condition: { NumericLessThan: { 'ssm:MaxResults': 5 }, Bool: { 'aws:SecureTransport': [false] } } } }),
    );
    assert.deepEqual(parsed, {
      Version: '2008-10-17',
      Statement: [
        { Sid: 'S1', Effect: 'Deny', NotAction: ['ssm:*'], NotResource: ['*'], Condition: { NumericLessThan: { 'ssm:MaxResults': ['5'] }, Bool: { 'aws:SecureTransport': ['false'] } } },
      ],
    });
  });

  it('accepts a document without Version and leaves it absent', () => {
    const parsed = parsePolicyDocument(JSON.stringify({ Statement: [statement()] }));
    assert.equal(parsed.Version, undefined);
    assert.equal(Object.hasOwn(parsed, 'Version'), false);
  });

  it('returns a frozen document', () => {
    const parsed = parsePolicyDocument(JSON.stringify({ Statement: [statement()] }));
    assert.ok(Object.isFrozen(parsed));
    assert.ok(Object.isFrozen(parsed.Statement[0]));
    assert.ok(Object.isFrozen(parsed.Statement[0]?.Action));
  });

  it('serialises back to an equivalent policy', () => {
    const parsed = parsePolicyDocument(withStatement(statement({ Sid: 'X', Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['a*'] } } })));
    assert.deepEqual(parsePolicyDocument(JSON.stringify(parsed)), parsed);
  });
});

describe('managed policies', () => {
  const managed = (name: string): PolicyDocument => {
    const policy = MANAGED_POLICIES.get(name);
    assert.ok(policy, `${name} is shipped`);
    return policy.document;
  };
  const decide = (name: string, action: string, resource = '*', context?: EvaluationRequest['context']): Decision =>
    evaluatePolicies([managed(name)], request({ action, resource, ...(context ? { context } : {}) })).decision;

  it('ships the five policies under arn:aws:iam::aws:policy/<Name>', () => {
    assert.deepEqual([...MANAGED_POLICIES.keys()].sort(), [
      'AdministratorAccess',
      'AmazonSSMFullAccess',
      'AmazonSSMManagedInstanceCore',
      'AmazonSSMReadOnlyAccess',
      'ReadOnlyAccess',
    ]);
    for (const [name, policy] of MANAGED_POLICIES) {
      assert.equal(policy.arn, `arn:aws:iam::aws:policy/${name}`);
      assert.equal(managedPolicyByArn(policy.arn), policy);
      assert.ok(policy.description.length > 0);
      assert.equal(policy.document.Version, '2012-10-17');
    }
    assert.equal(managedPolicyByArn('arn:aws:iam::aws:policy/NoSuchPolicy'), undefined);
  });

  it('AdministratorAccess allows everything', () => {
    assert.equal(decide('AdministratorAccess', 'iam:CreateUser'), 'Allow');
    assert.equal(decide('AdministratorAccess', 'kms:Decrypt', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1`), 'Allow');
  });

  it('AmazonSSMReadOnlyAccess allows reads and denies writes', () => {
    for (const action of ['ssm:GetParameter', 'ssm:DescribeInstanceInformation', 'ssm:ListDocuments']) {
      assert.equal(decide('AmazonSSMReadOnlyAccess', action, PARAM), 'Allow', action);
    }
    for (const action of ['ssm:PutParameter', 'ssm:SendCommand', 'ssm:DeleteParameter', 'kms:DescribeKey']) {
      assert.equal(decide('AmazonSSMReadOnlyAccess', action, PARAM), 'ImplicitDeny', action);
    }
  });

  it('AmazonSSMFullAccess allows all of SSM and its supporting actions only', () => {
    for (const action of ['ssm:PutParameter', 'ssm:SendCommand', 'ssm:DeleteDocument', 'ssmmessages:OpenDataChannel', 'ec2messages:GetMessages']) {
      assert.equal(decide('AmazonSSMFullAccess', action), 'Allow', action);
    }
    for (const action of ['kms:Decrypt', 'iam:CreateUser', 'ssm-incidents:CreateResponsePlan']) {
      assert.equal(decide('AmazonSSMFullAccess', action), 'ImplicitDeny', action);
    }
  });

  it('AmazonSSMFullAccess creates only the SSM service-linked role', () => {
    const role = `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM`;
    assert.equal(decide('AmazonSSMFullAccess', 'iam:CreateServiceLinkedRole', role, { 'iam:AWSServiceName': 'ssm.amazonaws.com' }), 'Allow');
    assert.equal(decide('AmazonSSMFullAccess', 'iam:CreateServiceLinkedRole', role, { 'iam:AWSServiceName': 'ec2.amazonaws.com' }), 'ImplicitDeny');
    assert.equal(decide('AmazonSSMFullAccess', 'iam:CreateServiceLinkedRole', `arn:aws:iam::${ACCOUNT}:role/Admin`, { 'iam:AWSServiceName': 'ssm.amazonaws.com' }), 'ImplicitDeny');
  });

  it('AmazonSSMManagedInstanceCore allows exactly what the agent needs', () => {
    const agentActions = [
      'ssm:DescribeAssociation',
      'ssm:GetDeployablePatchSnapshotForInstance',
      'ssm:GetDocument',
      'ssm:DescribeDocument',
      'ssm:GetManifest',
      'ssm:GetParameter',
      'ssm:GetParameters',
      'ssm:ListAssociations',
      'ssm:ListInstanceAssociations',
      'ssm:PutInventory',
      'ssm:PutComplianceItems',
      'ssm:PutConfigurePackageResult',
      'ssm:UpdateAssociationStatus',
      'ssm:UpdateInstanceAssociationStatus',
      'ssm:UpdateInstanceInformation',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
      'ec2messages:AcknowledgeMessage',
      'ec2messages:DeleteMessage',
      'ec2messages:FailMessage',
      'ec2messages:GetEndpoint',
      'ec2messages:GetMessages',
      'ec2messages:SendReply',
    ];
    for (const action of agentActions) assert.equal(decide('AmazonSSMManagedInstanceCore', action), 'Allow', action);
    for (const action of ['ssm:PutParameter', 'ssm:SendCommand', 'ssm:GetParametersByPath', 'ssm:DeleteAssociation', 'kms:Decrypt']) {
      assert.equal(decide('AmazonSSMManagedInstanceCore', action), 'ImplicitDeny', action);
    }
  });

  it('ReadOnlyAccess allows reads of the services Capstan implements', () => {
    const reads = [
      'ssm:GetParameter',
      'ssm:DescribeParameters',
      'kms:DescribeKey',
      'kms:ListKeys',
      'cloudtrail:LookupEvents',
      'iam:GetUser',
      'iam:ListRoles',
      'ssm-incidents:ListResponsePlans',
      'ssm-contacts:GetContact',
      'resource-groups:ListGroups',
      'tag:GetResources',
    ];
    for (const action of reads) assert.equal(decide('ReadOnlyAccess', action), 'Allow', action);
    for (const action of ['kms:Decrypt', 'ssm:PutParameter', 'iam:CreateUser', 'cloudtrail:CreateTrail', 'tag:TagResources', 'ec2:DescribeInstances']) {
      assert.equal(decide('ReadOnlyAccess', action), 'ImplicitDeny', action);
    }
  });
});
