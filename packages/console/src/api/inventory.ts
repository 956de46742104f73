import { allPages, ssm, type CallOptions } from './client';

/** One inventory entry: attribute name to value, all strings as the API sends them. */
export type InventoryEntry = Record<string, string>;

export type InventoryFilterType = 'Equal' | 'NotEqual' | 'BeginWith' | 'LessThan' | 'GreaterThan' | 'Exists';

export interface InventoryFilter {
  Key: string;
  Values: string[];
  Type?: InventoryFilterType;
}

export interface InventorySchema {
  TypeName: string;
  Version?: string;
  Attributes: { Name: string; DataType?: string }[];
}

export interface InventoryResultItem {
  TypeName: string;
  SchemaVersion?: string;
  CaptureTime?: string;
  ContentHash?: string;
  Content?: InventoryEntry[];
}

export interface InventoryEntity {
  Id?: string;
  Data?: Record<string, InventoryResultItem>;
}

export interface GetInventoryResult {
  Entities?: InventoryEntity[];
  NextToken?: string;
}

export interface ListInventoryEntriesResult {
  TypeName?: string;
  InstanceId?: string;
  SchemaVersion?: string;
  CaptureTime?: string;
  Entries?: InventoryEntry[];
  NextToken?: string;
}

/** Every inventory type the account knows: AWS's and the custom types its nodes reported. */
export function inventorySchemas(opts: CallOptions = {}): Promise<InventorySchema[]> {
  return allPages<{ Schemas?: InventorySchema[]; NextToken?: string }, InventorySchema>('GetInventorySchema', { MaxResults: 200 }, (p) => p.Schemas, opts);
}

export function listInventoryEntries(input: { InstanceId: string; TypeName: string; Filters?: InventoryFilter[]; MaxResults?: number; NextToken?: string }, opts: CallOptions = {}) {
  return ssm<ListInventoryEntriesResult>('ListInventoryEntries', input, opts);
}

export function getInventory(input: { Filters?: InventoryFilter[]; Aggregators?: { Expression: string }[]; ResultAttributes?: { TypeName: string }[]; MaxResults?: number; NextToken?: string }, opts: CallOptions = {}) {
  return ssm<GetInventoryResult>('GetInventory', input, opts);
}

/** The server writes this type for every node that reported anything: platform, agent, address. */
export const INSTANCE_INFO = 'AWS:InstanceInformation';
