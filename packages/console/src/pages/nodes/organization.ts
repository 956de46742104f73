import { useSyncExternalStore } from 'react';
import { ssm } from '../../api/client';
import { sessionStore } from '../../api/session';
import type { StringFilter } from '../../api/types';
import { useAsync } from '../../lib/useAsync';

/** Capstan's CapstanDescribeOrganization answer: no Organization when the account is in none. */
export interface OrganizationAnswer {
  Organization?: {
    Id: string;
    ManagementAccountId: string;
    IsManagementAccount: boolean;
    /** Given to the management account only. */
    Members?: { AccountId: string }[];
  };
}

/** The filters of the organisation view that CapstanListOrganizationNodes answers. */
export interface OrganizationQuery {
  account?: string | undefined;
  region?: string | undefined;
  ping?: string | undefined;
  platform?: string | undefined;
  agent?: string | undefined;
  tagKey?: string | undefined;
  tagValue?: string | undefined;
}

export function organizationFilters(q: OrganizationQuery): StringFilter[] {
  const f: StringFilter[] = [];
  if (q.account) f.push({ Key: 'AccountId', Values: [q.account] });
  if (q.region) f.push({ Key: 'Region', Values: [q.region] });
  if (q.ping) f.push({ Key: 'PingStatus', Values: [q.ping] });
  if (q.platform) f.push({ Key: 'PlatformType', Values: [q.platform] });
  if (q.agent) f.push({ Key: 'AgentVersion', Values: [q.agent] });
  if (q.tagKey) {
    if (q.tagValue) f.push({ Key: `tag:${q.tagKey}`, Values: q.tagValue.split(',').map((v) => v.trim()).filter(Boolean) });
    else f.push({ Key: 'tag-key', Values: [q.tagKey] });
  }
  return f;
}

/**
 * The organisation the signed-in account manages, if any: the Nodes page offers the
 * organisation scope only then. A caller not allowed to ask sees no switch.
 */
export function useManagedOrganization(): { accounts: string[]; id: string } | undefined {
  const session = useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
  const accountId = session?.principal.accountId;
  const answer = useAsync(async (signal): Promise<OrganizationAnswer> => (accountId ? ssm<OrganizationAnswer>('CapstanDescribeOrganization', {}, { signal }).catch(() => ({}) as OrganizationAnswer) : {}), [accountId]);
  const org = answer.data?.Organization;
  if (!org?.IsManagementAccount) return undefined;
  return { id: org.Id, accounts: [org.ManagementAccountId, ...(org.Members ?? []).map((m) => m.AccountId)] };
}
