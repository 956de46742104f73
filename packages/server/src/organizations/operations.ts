import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import type { CallContext } from '../protocol/context.js';
import { accessOf, listOrganizationNodes, listOrganizationNodesInput, nodesArn, type Access } from './nodes.js';
import { organizationStore } from './slot.js';
import { organizationView } from './store.js';

/** The authorisation step works out who may see what; the handler of the same call reads it. */
const accessByCall = new WeakMap<CallContext, Access>();

/** Not AWS operations: the organisation view of the console and `capstan nodes` across accounts. */
export const organizationOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CapstanDescribeOrganization',
    action: 'organizations:DescribeOrganization',
    throttle: 'read',
    input: z.object({}),
    // As in AWS Organizations, every account of the organisation may see which it is in; only
    // the management account sees the members. An account in none gets no Organization.
    handler: async (_i, c) => {
      const org = await organizationStore(c.core).describe();
      const inIt = org && (org.managementAccountId === c.accountId || org.members.some((m) => m.accountId === c.accountId));
      if (!org || !inIt) return {};
      const view = organizationView(org);
      const managing = org.managementAccountId === c.accountId;
      return { Organization: { Id: view.Id, ManagementAccountId: view.ManagementAccountId, IsManagementAccount: managing, ...(managing ? { Members: view.Members } : {}) } };
    },
  }),
  defineOperation({
    service: SSM,
    name: 'CapstanListOrganizationNodes',
    action: 'ssm:DescribeInstanceInformation',
    throttle: 'read',
    input: listOrganizationNodesInput,
    // The management account's principal must be allowed on at least one account and region of
    // the organisation; anyone else is authorised on their own account's nodes first, so a
    // caller without the permission learns nothing about the organisation.
    resources: async (_i, c) => {
      const access = await accessOf(c, await organizationStore(c.core).describe());
      accessByCall.set(c, access);
      if (!access.considered.length) return [nodesArn(c.region, c.accountId)];
      return access.allowed.length ? access.allowed.map((s) => nodesArn(s.region, s.account)) : access.considered.map((s) => nodesArn(s.region, s.account));
    },
    handler: async (i, c) => {
      const access = accessByCall.get(c) ?? (await accessOf(c, await organizationStore(c.core).describe()));
      return listOrganizationNodes(c, access, i);
    },
  }),
];
