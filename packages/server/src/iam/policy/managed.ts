/**
 * AWS managed policies that Capstan ships, by name. Statements follow what the AWS
 * policies of the same name grant; ReadOnlyAccess is cut down to the services Capstan
 * implements. Each document goes through parsePolicyDocument at load, so a typo here
 * fails at startup rather than silently granting nothing.
 */
import { parsePolicyDocument, type PolicyDocument } from './document.js';

export interface ManagedPolicy {
  readonly name: string;
  readonly arn: string;
  readonly document: PolicyDocument;
  readonly description: string;
}

const SSM_MESSAGES_CHANNELS = [
  'ssmmessages:CreateControlChannel',
  'ssmmessages:CreateDataChannel',
  'ssmmessages:OpenControlChannel',
  'ssmmessages:OpenDataChannel',
];

const EC2_MESSAGES = [
  'ec2messages:AcknowledgeMessage',
  'ec2messages:DeleteMessage',
  'ec2messages:FailMessage',
  'ec2messages:GetEndpoint',
  'ec2messages:GetMessages',
  'ec2messages:SendReply',
];

const SSM_SERVICE_LINKED_ROLE = 'arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*';

interface Definition {
  name: string;
  description: string;
  statements: object[];
}

const DEFINITIONS: readonly Definition[] = [
  {
    name: 'AdministratorAccess',
    description: 'Provides full access to AWS services and resources.',
    statements: [{ Effect: 'Allow', Action: '*', Resource: '*' }],
  },
  {
    name: 'AmazonSSMFullAccess',
    description: 'Provides full access to Amazon SSM.',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          'cloudwatch:PutMetricData',
          'ds:CreateComputer',
          'ds:DescribeDirectories',
          'ec2:DescribeInstanceStatus',
          'logs:*',
          'ssm:*',
          'ec2messages:*',
        ],
        Resource: '*',
      },
      {
        Effect: 'Allow',
        Action: 'iam:CreateServiceLinkedRole',
        Resource: SSM_SERVICE_LINKED_ROLE,
        Condition: { StringLike: { 'iam:AWSServiceName': 'ssm.amazonaws.com' } },
      },
      {
        Effect: 'Allow',
        Action: ['iam:DeleteServiceLinkedRole', 'iam:GetServiceLinkedRoleDeletionStatus'],
        Resource: SSM_SERVICE_LINKED_ROLE,
      },
      { Effect: 'Allow', Action: SSM_MESSAGES_CHANNELS, Resource: '*' },
    ],
  },
  {
    name: 'AmazonSSMReadOnlyAccess',
    description: 'Provides read only access to Amazon SSM.',
    statements: [{ Effect: 'Allow', Action: ['ssm:Describe*', 'ssm:Get*', 'ssm:List*'], Resource: '*' }],
  },
  {
    name: 'AmazonSSMManagedInstanceCore',
    description: 'The policy for Amazon EC2 Role to enable AWS Systems Manager service core functionality.',
    statements: [
      {
        Effect: 'Allow',
        Action: [
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
        ],
        Resource: '*',
      },
      { Effect: 'Allow', Action: SSM_MESSAGES_CHANNELS, Resource: '*' },
      { Effect: 'Allow', Action: EC2_MESSAGES, Resource: '*' },
    ],
  },
  {
    name: 'ReadOnlyAccess',
    description: 'Provides read-only access to AWS services and resources.',
    statements: [
      {
        Effect: 'Allow',
        Action: [
          'cloudtrail:LookupEvents',
          'iam:Get*',
          'iam:List*',
          'kms:Describe*',
          'kms:List*',
          'resource-groups:Get*',
          'resource-groups:List*',
          'resource-groups:Search*',
          'ssm:Describe*',
          'ssm:Get*',
          'ssm:List*',
          'ssm-contacts:Describe*',
          'ssm-contacts:Get*',
          'ssm-contacts:List*',
          'ssm-incidents:Get*',
          'ssm-incidents:List*',
          'tag:Get*',
        ],
        Resource: '*',
      },
    ],
  },
];

export const managedPolicyArn = (name: string): string => `arn:aws:iam::aws:policy/${name}`;

function build(definition: Definition): ManagedPolicy {
  const text = JSON.stringify({ Version: '2012-10-17', Statement: definition.statements });
  return Object.freeze({
    name: definition.name,
    arn: managedPolicyArn(definition.name),
    document: parsePolicyDocument(text),
    description: definition.description,
  });
}

export const MANAGED_POLICIES: ReadonlyMap<string, ManagedPolicy> = new Map(
  DEFINITIONS.map((d) => [d.name, build(d)] as const),
);

const BY_ARN: ReadonlyMap<string, ManagedPolicy> = new Map([...MANAGED_POLICIES.values()].map((p) => [p.arn, p] as const));

export function managedPolicyByArn(arn: string): ManagedPolicy | undefined {
  return BY_ARN.get(arn);
}
