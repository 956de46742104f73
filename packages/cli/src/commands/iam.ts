import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import {
  AttachRolePolicyCommand, AttachUserPolicyCommand, CreateAccessKeyCommand, CreatePolicyCommand, CreateRoleCommand, CreateUserCommand,
  DeleteAccessKeyCommand, DeletePolicyCommand, DeleteRoleCommand, DeleteRolePolicyCommand, DeleteUserCommand, DeleteUserPolicyCommand,
  DetachRolePolicyCommand, DetachUserPolicyCommand, IAMClient, ListAccessKeysCommand, ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand, ListPoliciesCommand, ListRolesCommand, ListUsersCommand, PutRolePolicyCommand, PutUserPolicyCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';

/** `file://path` reads a file, as the AWS CLI does; anything else is the document itself. */
function document(text: string): string {
  return text.startsWith('file://') ? readFileSync(text.slice(7), 'utf8') : text;
}

/** AWS managed policies may be named bare (`AmazonSSMReadOnlyAccess`). */
function policyArn(text: string): string {
  return text.startsWith('arn:') ? text : `arn:aws:iam::aws:policy/${text}`;
}

type Opts = ClientOptions & Record<string, string | undefined>;

const print = (value: unknown) => {
  const { $metadata: _m, ...rest } = value as Record<string, unknown>;
  console.log(JSON.stringify(rest, null, 2));
};

interface Spec {
  name: string;
  description: string;
  required?: [flag: string, description: string][];
  optional?: [flag: string, description: string][];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  run: (o: Opts) => any;
}

const SPECS: Spec[] = [
  { name: 'create-user', description: 'create an IAM user', required: [['--user-name <name>', 'user name']], optional: [['--path <path>', 'path, e.g. /ops/']], run: (o) => new CreateUserCommand({ UserName: o.userName!, ...(o.path ? { Path: o.path } : {}) }) },
  { name: 'delete-user', description: 'delete a user (its keys and policies must be gone)', required: [['--user-name <name>', 'user name']], run: (o) => new DeleteUserCommand({ UserName: o.userName! }) },
  { name: 'list-users', description: 'list users', run: () => new ListUsersCommand({}) },
  { name: 'create-access-key', description: 'create an access key for a user; the secret is shown once', required: [['--user-name <name>', 'user name']], run: (o) => new CreateAccessKeyCommand({ UserName: o.userName! }) },
  { name: 'list-access-keys', description: "list a user's access keys", required: [['--user-name <name>', 'user name']], run: (o) => new ListAccessKeysCommand({ UserName: o.userName! }) },
  { name: 'update-access-key', description: 'activate or deactivate an access key', required: [['--user-name <name>', 'user name'], ['--access-key-id <id>', 'key id'], ['--status <Active|Inactive>', 'new status']], run: (o) => new UpdateAccessKeyCommand({ UserName: o.userName!, AccessKeyId: o.accessKeyId!, Status: o.status as 'Active' | 'Inactive' }) },
  { name: 'delete-access-key', description: 'delete an access key', required: [['--user-name <name>', 'user name'], ['--access-key-id <id>', 'key id']], run: (o) => new DeleteAccessKeyCommand({ UserName: o.userName!, AccessKeyId: o.accessKeyId! }) },
  { name: 'create-role', description: 'create a role with a trust policy', required: [['--role-name <name>', 'role name'], ['--assume-role-policy-document <json|file://path>', 'trust policy']], optional: [['--description <text>', 'description']], run: (o) => new CreateRoleCommand({ RoleName: o.roleName!, AssumeRolePolicyDocument: document(o.assumeRolePolicyDocument!), ...(o.description ? { Description: o.description } : {}) }) },
  { name: 'delete-role', description: 'delete a role (its policies must be gone)', required: [['--role-name <name>', 'role name']], run: (o) => new DeleteRoleCommand({ RoleName: o.roleName! }) },
  { name: 'list-roles', description: 'list roles', run: () => new ListRolesCommand({}) },
  { name: 'create-policy', description: 'create a customer-managed policy', required: [['--policy-name <name>', 'policy name'], ['--policy-document <json|file://path>', 'policy document']], run: (o) => new CreatePolicyCommand({ PolicyName: o.policyName!, PolicyDocument: document(o.policyDocument!) }) },
  { name: 'delete-policy', description: 'delete a customer-managed policy', required: [['--policy-arn <arn>', 'policy ARN']], run: (o) => new DeletePolicyCommand({ PolicyArn: o.policyArn! }) },
  { name: 'list-policies', description: 'list AWS-managed and customer-managed policies', optional: [['--scope <All|AWS|Local>', 'which policies']], run: (o) => new ListPoliciesCommand({ ...(o.scope ? { Scope: o.scope as 'All' } : {}) }) },
  { name: 'put-user-policy', description: 'set an inline policy of a user', required: [['--user-name <name>', 'user name'], ['--policy-name <name>', 'policy name'], ['--policy-document <json|file://path>', 'policy document']], run: (o) => new PutUserPolicyCommand({ UserName: o.userName!, PolicyName: o.policyName!, PolicyDocument: document(o.policyDocument!) }) },
  { name: 'delete-user-policy', description: 'remove an inline policy of a user', required: [['--user-name <name>', 'user name'], ['--policy-name <name>', 'policy name']], run: (o) => new DeleteUserPolicyCommand({ UserName: o.userName!, PolicyName: o.policyName! }) },
  { name: 'attach-user-policy', description: 'attach a managed policy (ARN or AWS policy name) to a user', required: [['--user-name <name>', 'user name'], ['--policy-arn <arn|name>', 'policy']], run: (o) => new AttachUserPolicyCommand({ UserName: o.userName!, PolicyArn: policyArn(o.policyArn!) }) },
  { name: 'detach-user-policy', description: 'detach a managed policy from a user', required: [['--user-name <name>', 'user name'], ['--policy-arn <arn|name>', 'policy']], run: (o) => new DetachUserPolicyCommand({ UserName: o.userName!, PolicyArn: policyArn(o.policyArn!) }) },
  { name: 'list-attached-user-policies', description: "list a user's managed policies", required: [['--user-name <name>', 'user name']], run: (o) => new ListAttachedUserPoliciesCommand({ UserName: o.userName! }) },
  { name: 'put-role-policy', description: 'set an inline policy of a role', required: [['--role-name <name>', 'role name'], ['--policy-name <name>', 'policy name'], ['--policy-document <json|file://path>', 'policy document']], run: (o) => new PutRolePolicyCommand({ RoleName: o.roleName!, PolicyName: o.policyName!, PolicyDocument: document(o.policyDocument!) }) },
  { name: 'delete-role-policy', description: 'remove an inline policy of a role', required: [['--role-name <name>', 'role name'], ['--policy-name <name>', 'policy name']], run: (o) => new DeleteRolePolicyCommand({ RoleName: o.roleName!, PolicyName: o.policyName! }) },
  { name: 'attach-role-policy', description: 'attach a managed policy to a role', required: [['--role-name <name>', 'role name'], ['--policy-arn <arn|name>', 'policy']], run: (o) => new AttachRolePolicyCommand({ RoleName: o.roleName!, PolicyArn: policyArn(o.policyArn!) }) },
  { name: 'detach-role-policy', description: 'detach a managed policy from a role', required: [['--role-name <name>', 'role name'], ['--policy-arn <arn|name>', 'policy']], run: (o) => new DetachRolePolicyCommand({ RoleName: o.roleName!, PolicyArn: policyArn(o.policyArn!) }) },
  { name: 'list-attached-role-policies', description: "list a role's managed policies", required: [['--role-name <name>', 'role name']], run: (o) => new ListAttachedRolePoliciesCommand({ RoleName: o.roleName! }) },
];

export function registerIamCommands(program: Command): void {
  const iam = program.command('iam').description('users, roles, access keys and policies (the IAM API of a running server)');
  for (const spec of SPECS) {
    const cmd = withClientOptions(iam.command(spec.name).description(spec.description));
    for (const [flag, desc] of spec.required ?? []) cmd.requiredOption(flag, desc);
    for (const [flag, desc] of spec.optional ?? []) cmd.option(flag, desc);
    cmd.action(async (o: Opts) => {
      const client = new IAMClient(resolveClientConfig(o));
      print(await client.send(spec.run(o)));
    });
  }
}
