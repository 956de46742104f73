import { randomBytes } from 'node:crypto';
import { invalidParameter } from './errors.js';
import type { OpsItemRow } from './tables.js';

export type DataValue = { Value?: string; Type?: 'SearchableString' | 'String' };
export type OperationalData = Record<string, DataValue>;

export const opsItemArn = (region: string, account: string, id: string) => `arn:aws:ssm:${region}:${account}:opsitem/${id}`;
export const newOpsItemId = () => `oi-${randomBytes(6).toString('hex')}`;
export const OPS_ITEM_ID = /^(oi)-[0-9a-f]{12}$/;

/** AWS's defaults for OpsCenter items; change requests and insights have statuses of their own. */
export const ISSUE_STATUSES = ['Open', 'InProgress', 'Resolved'] as const;
/** A repeat of an item in one of these is folded into it; once resolved, the next one is new. */
export const OPEN_STATUSES = ['Open', 'InProgress'];

/** Keys AWS lets callers set although they start with a reserved prefix. */
const AWS_KEYS = new Set(['/aws/resources', '/aws/dedup', '/aws/automations']);
const RESERVED = /^(amazon|aws|amzn|ssm|\/amazon|\/aws|\/amzn|\/ssm)/i;
const MAX_VALUE_BYTES = 20 * 1024;
const MAX_DATA_BYTES = 64 * 1024;

/** Checks OperationalData as AWS does: key length and prefixes, value sizes, and the shapes of the `/aws/…` keys. */
export function checkOperationalData(data: OperationalData | undefined, member = 'OperationalData'): void {
  if (!data) return;
  let total = 0;
  for (const [key, v] of Object.entries(data)) {
    if (key.length < 1 || key.length > 128) throw invalidParameter([member], `${member} key ${key.slice(0, 40)} must be 1 to 128 characters.`);
    if (RESERVED.test(key) && !AWS_KEYS.has(key)) throw invalidParameter([member], `${member} key ${key} starts with a reserved prefix (amazon, aws, amzn, ssm, /amazon, /aws, /amzn, /ssm); only /aws/resources, /aws/dedup and /aws/automations may be set.`);
    const value = v.Value ?? '';
    if (!/\S/.test(value)) throw invalidParameter([member], `${member} ${key} needs a Value that is not blank.`);
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > MAX_VALUE_BYTES) throw invalidParameter([member], `${member} ${key} is ${bytes} bytes; a value may be at most 20 KB.`);
    total += bytes + key.length;
    if (key === '/aws/dedup') dedupOf(data);
    if (key === '/aws/resources') resourcesOf(data);
    if (key === '/aws/automations') automationsOf(data);
  }
  if (total > MAX_DATA_BYTES) throw invalidParameter([member], `${member} is ${total} bytes in all; an OpsItem's operational data may be at most 64 KB.`);
}

function json(data: OperationalData, key: string): unknown {
  const raw = data[key]?.Value;
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw invalidParameter(['OperationalData'], `OperationalData ${key} must be JSON.`);
  }
}

/** `/aws/dedup`: `{"dedupString":"…"}`. */
export function dedupOf(data: OperationalData): string {
  const v = json(data, '/aws/dedup');
  if (v === undefined) return '';
  const s = (v as { dedupString?: unknown } | null)?.dedupString;
  if (typeof s !== 'string' || !s.trim() || s.length > 256) throw invalidParameter(['OperationalData'], 'OperationalData /aws/dedup must be {"dedupString":"…"} with a string of 1 to 256 characters.');
  return s;
}

/** `/aws/resources`: `[{"arn":"…"}]`. */
export function resourcesOf(data: OperationalData): string[] {
  const v = json(data, '/aws/resources');
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((r) => typeof (r as { arn?: unknown } | null)?.arn !== 'string' || !String((r as { arn: string }).arn).startsWith('arn:')))
    throw invalidParameter(['OperationalData'], 'OperationalData /aws/resources must be a JSON list of {"arn":"arn:…"}.');
  return (v as { arn: string }[]).map((r) => r.arn);
}

/** `/aws/automations`: `[{"automationType":"AWS:SSM:Automation","automationId":"RUNBOOK"}]`, the runbooks suggested for the item. */
export function automationsOf(data: OperationalData): string[] {
  const v = json(data, '/aws/automations');
  if (v === undefined) return [];
  const ok = Array.isArray(v) && v.every((a) => typeof (a as { automationId?: unknown } | null)?.automationId === 'string' && ((a as { automationType?: unknown }).automationType ?? 'AWS:SSM:Automation') === 'AWS:SSM:Automation');
  if (!ok) throw invalidParameter(['OperationalData'], 'OperationalData /aws/automations must be a JSON list of {"automationType":"AWS:SSM:Automation","automationId":"RUNBOOK"}.');
  return (v as { automationId: string }[]).map((a) => a.automationId);
}

/**
 * Capstan sends OpsItem notifications as signed webhooks, not to SNS: each Arn is an http(s)
 * URL. Credentials in the URL are refused: the signature is how a receiver knows the sender.
 */
export function checkNotifications(list: { Arn?: string }[] | undefined): void {
  for (const n of list ?? []) {
    const url = n.Arn ?? '';
    let u: URL | undefined;
    try {
      u = new URL(url);
    } catch {
      u = undefined;
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) throw invalidParameter(['Notifications'], `Notifications Arn ${url || '(empty)'}: Capstan notifies by webhook; give an http(s) URL. See docs/opscenter.md.`);
    if (u.username || u.password) throw invalidParameter(['Notifications'], `Notifications Arn ${u.host}${u.pathname}: the URL must not carry credentials; receivers check the X-Capstan-Signature header instead.`);
  }
}

const at = (ms: number | null) => (ms === null ? undefined : new Date(Number(ms)));

export function opsItemView(r: OpsItemRow) {
  const data = JSON.parse(r.operational_data) as OperationalData;
  return {
    OpsItemId: r.ops_item_id,
    OpsItemArn: opsItemArn(r.region, r.account_id, r.ops_item_id),
    OpsItemType: r.ops_item_type,
    Title: r.title,
    Description: r.description,
    Source: r.source,
    Status: r.status,
    ...(r.priority !== null ? { Priority: Number(r.priority) } : {}),
    ...(r.severity ? { Severity: r.severity } : {}),
    ...(r.category ? { Category: r.category } : {}),
    OperationalData: data,
    Notifications: JSON.parse(r.notifications) as { Arn: string }[],
    RelatedOpsItems: JSON.parse(r.related_ops_items) as { OpsItemId: string }[],
    CreatedBy: r.created_by,
    CreatedTime: new Date(Number(r.created_at)),
    LastModifiedBy: r.modified_by,
    LastModifiedTime: new Date(Number(r.modified_at)),
    Version: r.version,
    ...times(r),
  };
}

function times(r: OpsItemRow) {
  return {
    ...(r.planned_start !== null ? { PlannedStartTime: at(r.planned_start) } : {}),
    ...(r.planned_end !== null ? { PlannedEndTime: at(r.planned_end) } : {}),
    ...(r.actual_start !== null ? { ActualStartTime: at(r.actual_start) } : {}),
    ...(r.actual_end !== null ? { ActualEndTime: at(r.actual_end) } : {}),
  };
}

/** DescribeOpsItems shows only searchable operational data, as AWS does. */
export function opsItemSummary(r: OpsItemRow) {
  const data = JSON.parse(r.operational_data) as OperationalData;
  const searchable = Object.fromEntries(Object.entries(data).filter(([, v]) => v.Type === 'SearchableString'));
  return {
    OpsItemId: r.ops_item_id,
    OpsItemType: r.ops_item_type,
    Title: r.title,
    Source: r.source,
    Status: r.status,
    ...(r.priority !== null ? { Priority: Number(r.priority) } : {}),
    ...(r.severity ? { Severity: r.severity } : {}),
    ...(r.category ? { Category: r.category } : {}),
    OperationalData: searchable,
    CreatedBy: r.created_by,
    CreatedTime: new Date(Number(r.created_at)),
    LastModifiedBy: r.modified_by,
    LastModifiedTime: new Date(Number(r.modified_at)),
    ...times(r),
  };
}
