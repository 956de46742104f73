import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from '@aws-sdk/client-iam';
import { ALL_OPERATIONS } from '../../server.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import { actionOf, type AnyOperation } from '../registry.js';
import { requestFor } from '../bad-input/wire.js';
import { callAs, changedTables, isAccessDenied, snapshot, tableNames, type Answer, type Credentials } from './harness.js';
import { validInput } from './valid-input.js';

/**
 * Every registered operation, called with an input its schema accepts, by three IAM users of
 * one account: one with no policy (AccessDenied in the protocol's shape, nothing stored), one
 * whose only policy allows exactly that operation's action on "*" (the authorizer lets it
 * through: any answer but AccessDenied for that action), and, for a sample, one whose allow-all
 * is overridden by an explicit deny of the action.
 */

/** Operations AWS answers for any authenticated caller, with why. */
const NO_POLICY_NEEDED: Record<string, string> = {
  'sts:GetCallerIdentity': 'AWS answers GetCallerIdentity for every valid credential, whatever its policies say',
};

/**
 * Operations that, once allowed, go on to check a second action the single-action policy does
 * not grant, as AWS does. The second refusal must name that other action, never the operation's own.
 */
const SECOND_ACTIONS: Record<string, string> = {};

const ACCOUNT = '111122223333';
const GROUP_ARN = `arn:aws:resource-groups:us-east-1:${ACCOUNT}:group/capstan-sec`;
const INSTANCE_ARN = `arn:aws:ec2:us-east-1:${ACCOUNT}:instance/i-0123456789abcdef0`;
const TAG_QUERY = { Type: 'TAG_FILTERS_1_0', Query: '{"ResourceTypeFilters":["AWS::AllSupported"],"TagFilters":[{"Key":"a","Values":["b"]}]}' };
/**
 * Resource Groups and the tagging API wrap their schemas to answer their own error codes, which
 * hides the members from schema walking; their valid inputs are written out.
 */
const WRITTEN_INPUTS: Record<string, unknown> = {
  'resource-groups:CreateGroup': { Name: 'capstan-sec' },
  'resource-groups:UpdateGroupQuery': { Group: 'capstan-sec', ResourceQuery: TAG_QUERY },
  'resource-groups:SearchResources': { ResourceQuery: TAG_QUERY },
  'resource-groups:GroupResources': { Group: 'capstan-sec', ResourceArns: [INSTANCE_ARN] },
  'resource-groups:UngroupResources': { Group: 'capstan-sec', ResourceArns: [INSTANCE_ARN] },
  'resource-groups:Tag': { Arn: GROUP_ARN, Tags: { a: 'b' } },
  'resource-groups:Untag': { Arn: GROUP_ARN, Keys: ['a'] },
  'resource-groups:GetTags': { Arn: GROUP_ARN },
  'tagging:TagResources': { ResourceARNList: [INSTANCE_ARN], Tags: { a: 'b' } },
  'tagging:UntagResources': { ResourceARNList: [INSTANCE_ARN], TagKeys: ['a'] },
  'tagging:GetTagValues': { Key: 'a' },
  // KMS wants exactly one of KeySpec and NumberOfBytes, which the schema alone does not say.
  'kms:GenerateDataKey': { KeyId: 'alias/capstan-sec', KeySpec: 'AES_256' },
};

const keyOf = (op: AnyOperation) => `${op.service.key}:${op.name}`;

function accepts(op: AnyOperation, input: unknown): boolean {
  try {
    return op.input.safeParse(requestFor(op, input).decoded).success;
  } catch {
    return false;
  }
}

function inputFor(op: AnyOperation): unknown {
  return WRITTEN_INPUTS[keyOf(op)] ?? validInput(op.input);
}

const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });

let t: TestServer;
let iam: IAMClient;
let tables: string[] = [];
const users: Record<'none' | 'allowed' | 'denied', Credentials> = {} as never;
const tally = { operations: 0, requests: 0, denied: 0, letThrough: 0, secondAction: 0, denyOverrides: 0, unchanged: 0 };
const outcomes = new Map<string, number>();

async function newUser(name: string): Promise<Credentials> {
  await iam.send(new CreateUserCommand({ UserName: name }));
  const k = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
  return { accessKeyId: k.AccessKey!.AccessKeyId!, secretAccessKey: k.AccessKey!.SecretAccessKey! };
}

async function call(who: Credentials, op: AnyOperation, input: unknown): Promise<Answer> {
  tally.requests++;
  return callAs(t.endpoint, who, op, input);
}

function assertDenied(op: AnyOperation, a: Answer, why: RegExp): void {
  const where = `${keyOf(op)}: ${a.status} ${a.raw.slice(0, 300)}`;
  assert.ok(isAccessDenied(a), `AccessDenied expected — ${where}`);
  // JSON 1.x services answer client errors with 400; the Query and REST-JSON protocols use 403.
  assert.equal(a.status, op.service.protocol === 'json' ? 400 : 403, `status — ${where}`);
  assert.ok(a.message.includes(actionOf(op)), `the message names ${actionOf(op)} — ${where}`);
  assert.match(a.message, why, where);
}

before(async () => {
  t = await startTestServer();
  iam = new IAMClient(t.clientConfig());
  users.none = await newUser('sec-no-policy');
  users.allowed = await newUser('sec-one-action');
  users.denied = await newUser('sec-denied');
  tables = await tableNames(t.server.core.database.db as never);
});

after(async () => {
  await t?.stop();
  console.log(`# IAM per operation: ${tally.operations} operations checked of ${ALL_OPERATIONS.length} registered (${Object.keys(NO_POLICY_NEEDED).length} need no policy), ${tally.requests} requests; ${tally.denied} refused without a policy with nothing stored (${tally.unchanged} state comparisons); ${tally.letThrough} let through with only their action allowed (${tally.secondAction} then refused a second action); ${tally.denyOverrides} explicit denies overriding allow-all; answers with the action allowed: ${JSON.stringify(Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])))}`);
});

describe('IAM: every operation needs its action', () => {
  const ops = [...ALL_OPERATIONS].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  for (const [index, op] of ops.entries()) {
    const action = actionOf(op);
    const skip = NO_POLICY_NEEDED[action] ?? NO_POLICY_NEEDED[keyOf(op)];
    test(`${keyOf(op)}: refused without ${action}, let through with only ${action}`, { skip }, async () => {
      const input = inputFor(op);
      assert.ok(input !== undefined && accepts(op, input), `no input the schema of ${keyOf(op)} accepts could be built; add one to WRITTEN_INPUTS`);
      tally.operations++;

      const db = t.server.core.database.db as never;
      const before = await snapshot(db, tables);
      assertDenied(op, await call(users.none, op, input), /because no identity-based policy allows/);
      assert.deepEqual(changedTables(before, await snapshot(db, tables)), [], `${keyOf(op)} refused, yet stored state changed`);
      tally.denied++;
      tally.unchanged++;

      await iam.send(new PutUserPolicyCommand({ UserName: 'sec-one-action', PolicyName: 'one', PolicyDocument: policy({ Effect: 'Allow', Action: action, Resource: '*' }) }));
      const a = await call(users.allowed, op, input);
      if (isAccessDenied(a)) {
        assert.ok(!a.message.includes(`perform: ${action} `), `${keyOf(op)} refused although ${action} is allowed: ${a.raw.slice(0, 300)}`);
        const second = /perform: (\S+)/.exec(a.message)?.[1];
        assert.equal(second, SECOND_ACTIONS[keyOf(op)], `${keyOf(op)} needs ${second} as well: list it in SECOND_ACTIONS if AWS does the same — ${a.raw.slice(0, 300)}`);
        tally.secondAction++;
      }
      assert.ok(a.status < 500, `${keyOf(op)} answered ${a.status} once allowed: ${a.raw.slice(0, 300)}`);
      outcomes.set(a.code || 'success', (outcomes.get(a.code || 'success') ?? 0) + 1);
      tally.letThrough++;

      // Deny overrides allow, for every seventh operation (a spread over services and protocols).
      if (index % 7 === 0) {
        await iam.send(
          new PutUserPolicyCommand({ UserName: 'sec-denied', PolicyName: 'all-but', PolicyDocument: policy({ Effect: 'Allow', Action: '*', Resource: '*' }, { Effect: 'Deny', Action: action, Resource: '*' }) }),
        );
        const before2 = await snapshot(db, tables);
        assertDenied(op, await call(users.denied, op, input), /with an explicit deny in an identity-based policy/);
        assert.deepEqual(changedTables(before2, await snapshot(db, tables)), [], `${keyOf(op)} refused by a deny, yet stored state changed`);
        tally.denyOverrides++;
      }
    });
  }
});
