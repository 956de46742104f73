import { z } from 'zod';
import type { CallContext } from '../protocol/context.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { tagListSchema } from '../tagging/index.js';
import { calendarState, isoSeconds, parseCalendar, parseIsoTime } from './calendar.js';
import { invalidDocumentType, validation } from './errors.js';
import { AMAZON, documentArn } from './names.js';
import { documents } from './slots.js';
import { documentStore } from './store.js';

// Shapes and limits of the AmazonSSM model.
const name = z.string().regex(/^[a-zA-Z0-9_\-.]{3,128}$/);
const nameOrArn = z.string().regex(/^[a-zA-Z0-9_\-.:/]{3,128}$/);
const version = z.string().regex(/^([$]LATEST|[$]DEFAULT|[1-9][0-9]*)$/);
const versionName = z.string().regex(/^[a-zA-Z0-9_\-.]{1,128}$/);
const displayName = z.string().max(1024).regex(/^[\w.\-:/ ]*$/);
const targetType = z.string().max(200).regex(/^\/[\w.\-:/]*$/);
const format = z.enum(['YAML', 'JSON', 'TEXT']);
const documentType = z.enum([
  'Command', 'Policy', 'Automation', 'Session', 'Package', 'ApplicationConfiguration', 'ApplicationConfigurationSchema', 'DeploymentStrategy', 'ChangeCalendar',
  'Automation.ChangeTemplate', 'ProblemAnalysis', 'ProblemAnalysisTemplate', 'CloudFormation', 'ConformancePackTemplate', 'QuickSetup', 'ManualApprovalPolicy', 'AutoApprovalPolicy',
]);
const requires = z
  .array(z.object({ Name: nameOrArn, Version: version.optional(), RequireType: z.string().max(128).regex(/^[a-zA-Z0-9_\-.]{1,128}$/).optional(), VersionName: versionName.optional() }))
  .min(1);
const attachments = z
  .array(z.object({ Key: z.enum(['SourceUrl', 'S3FileUrl', 'AttachmentReference']).optional(), Values: z.array(z.string().min(1).max(1024)).min(1).max(1).optional(), Name: name.optional() }))
  .max(20);
const accountIds = z.array(z.string().regex(/^((?:[aA][lL][lL])|[0-9]{12})$/)).max(20);

/** The ARN IAM checks for a document as the caller named it: AWS's own names resolve to AWS's ARN. */
export async function documentArnFor(call: CallContext, given: string): Promise<string> {
  if (given.startsWith('arn:')) return given;
  const svc = documents(call.core);
  if (svc.reads.builtins.has(given) && !(await documentStore.get(svc.reads.db, call.accountId, call.region, given))) return documentArn(call.region, AMAZON, given);
  return documentArn(call.region, call.accountId, given);
}

const ownArn = (call: CallContext, n: string) => documentArn(call.region, call.accountId, n);
const tagKeys = (tags: { Key: string; Value: string }[] | undefined) =>
  tags ? { 'aws:TagKeys': tags.map((t) => t.Key), ...Object.fromEntries(tags.map((t) => [`aws:RequestTag/${t.Key}`, t.Value])) } : {};

export const documentOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CreateDocument',
    input: z.object({
      Content: z.string().min(1),
      Requires: requires.optional(),
      Attachments: attachments.optional(),
      Name: name,
      DisplayName: displayName.optional(),
      VersionName: versionName.optional(),
      DocumentType: documentType.optional(),
      DocumentFormat: format.optional(),
      TargetType: targetType.optional(),
      Tags: tagListSchema.optional(),
    }),
    resources: (i, c) => [ownArn(c, i.Name)],
    conditionKeys: (i) => tagKeys(i.Tags),
    handler: (i, c) => documents(c.core).writes.create(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'GetDocument',
    input: z.object({ Name: nameOrArn, VersionName: versionName.optional(), DocumentVersion: version.optional(), DocumentFormat: format.optional() }),
    resources: async (i, c) => [await documentArnFor(c, i.Name)],
    handler: (i, c) => documents(c.core).reads.get(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeDocument',
    input: z.object({ Name: nameOrArn, DocumentVersion: version.optional(), VersionName: versionName.optional() }),
    resources: async (i, c) => [await documentArnFor(c, i.Name)],
    handler: (i, c) => documents(c.core).reads.describe(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateDocument',
    input: z.object({
      Content: z.string().min(1),
      Attachments: attachments.optional(),
      Name: name,
      DisplayName: displayName.optional(),
      VersionName: versionName.optional(),
      DocumentVersion: version.optional(),
      DocumentFormat: format.optional(),
      TargetType: targetType.optional(),
    }),
    resources: (i, c) => [ownArn(c, i.Name)],
    handler: (i, c) => documents(c.core).writes.update(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateDocumentDefaultVersion',
    input: z.object({ Name: name, DocumentVersion: z.string().regex(/^[1-9][0-9]*$/) }),
    resources: (i, c) => [ownArn(c, i.Name)],
    handler: (i, c) => documents(c.core).writes.setDefault(c, i.Name, i.DocumentVersion),
  }),
  defineOperation({
    service: SSM,
    name: 'DeleteDocument',
    input: z.object({ Name: name, DocumentVersion: version.optional(), VersionName: versionName.optional(), Force: z.boolean().optional() }),
    resources: (i, c) => [ownArn(c, i.Name)],
    handler: async (i, c) => {
      await documents(c.core).writes.delete(c, i);
      return {};
    },
  }),
  defineOperation({
    service: SSM,
    name: 'ListDocuments',
    input: z.object({
      DocumentFilterList: z.array(z.object({ key: z.enum(['Name', 'Owner', 'PlatformTypes', 'DocumentType']), value: z.string().min(1) })).min(1).optional(),
      Filters: z.array(z.object({ Key: z.string().min(1).max(128).optional(), Values: z.array(z.string().min(1).max(256)).optional() })).max(6).optional(),
      MaxResults: z.number().int().min(1).max(50).optional(),
      NextToken: z.string().optional(),
    }),
    handler: (i, c) => documents(c.core).listing.list(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'ListDocumentVersions',
    input: z.object({ Name: nameOrArn, MaxResults: z.number().int().min(1).max(50).optional(), NextToken: z.string().optional() }),
    resources: async (i, c) => [await documentArnFor(c, i.Name)],
    handler: (i, c) => documents(c.core).reads.versions(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'DescribeDocumentPermission',
    // PermissionType is any text here: AWS answers a wrong one with InvalidPermissionType.
    input: z.object({ Name: name, PermissionType: z.string(), MaxResults: z.number().int().min(1).max(200).optional(), NextToken: z.string().optional() }),
    resources: (i, c) => [ownArn(c, i.Name)],
    handler: (i, c) => documents(c.core).sharing.describe(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'ModifyDocumentPermission',
    input: z.object({
      Name: name,
      PermissionType: z.string(),
      AccountIdsToAdd: accountIds.optional(),
      AccountIdsToRemove: accountIds.optional(),
      SharedDocumentVersion: z.string().max(8).regex(/^([$]LATEST|[$]DEFAULT|[$]ALL)$/).optional(),
    }),
    resources: (i, c) => [ownArn(c, i.Name)],
    handler: (i, c) => documents(c.core).sharing.modify(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'UpdateDocumentMetadata',
    input: z.object({
      Name: name,
      DocumentVersion: version.optional(),
      DocumentReviews: z.object({
        Action: z.enum(['SendForReview', 'UpdateReview', 'Approve', 'Reject']),
        Comment: z.array(z.object({ Type: z.enum(['Comment']).optional(), Content: z.string().min(1).max(1024).optional() })).max(1).optional(),
      }),
    }),
    resources: (i, c) => [ownArn(c, i.Name)],
    handler: (i, c) => documents(c.core).reviews.update(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'ListDocumentMetadataHistory',
    input: z.object({
      Name: name,
      DocumentVersion: version.optional(),
      Metadata: z.enum(['DocumentReviews']),
      NextToken: z.string().optional(),
      MaxResults: z.number().int().min(1).max(50).optional(),
    }),
    resources: (i, c) => [ownArn(c, i.Name)],
    handler: (i, c) => documents(c.core).reviews.history(c, i),
  }),
  defineOperation({
    service: SSM,
    name: 'GetCalendarState',
    input: z.object({ CalendarNames: z.array(z.string().min(1)).min(1), AtTime: z.string().optional() }),
    resources: (i, c) => Promise.all(i.CalendarNames.map((n) => documentArnFor(c, n))),
    handler: async (i, c) => {
      const at = i.AtTime === undefined ? c.now : parseIsoTime(i.AtTime);
      if (at === undefined) throw validation(`AtTime ${i.AtTime} isn't an ISO 8601 time, such as 2020-07-30T11:05:14Z or 2020-07-30T11:05:14-0700.`);
      const { reads } = documents(c.core);
      const calendars = [];
      for (const n of i.CalendarNames) {
        const located = await reads.locate(c, n);
        if (located.doc.document_type !== 'ChangeCalendar') {
          throw invalidDocumentType(`The document ${n} is of type ${located.doc.document_type}; GetCalendarState reads ChangeCalendar documents.`);
        }
        calendars.push(parseCalendar((await reads.version(located, {})).content));
      }
      const state = calendarState(calendars, at);
      return { State: state.open ? 'OPEN' : 'CLOSED', AtTime: isoSeconds(at), ...(state.next !== undefined ? { NextTransitionTime: isoSeconds(state.next) } : {}) };
    },
  }),
];
