import type { Association, AssociationExecution, Target, Timestamp } from '../../api/types';
import { toDate } from '../../lib/format';
import { parameterNamed } from '../automation/params';
import { toCommandParameters, validateAll, type ParamSpec } from '../run-command/params';
import type { TagTarget, TargetMode } from '../run-command/targets';

/** An association is known by its name when it has one; AWS makes the name optional. */
export const associationLabel = (a: Pick<Association, 'AssociationName' | 'AssociationId'>): string => a.AssociationName || a.AssociationId;

/** The document as the list shows it: `AWS-RunShellScript` or `AWS-RunShellScript (v2)`; `$DEFAULT` is the document's business. */
export function documentLabel(name: string | undefined, version: string | undefined): string {
  if (!name) return '—';
  if (!version || version === '$DEFAULT') return name;
  return `${name} (${version === '$LATEST' ? 'latest' : `v${version}`})`;
}

function joinOr(values: string[], shown = 3): string {
  const head = values.slice(0, shown);
  const rest = values.length - head.length;
  if (rest > 0) return `${head.join(', ')} and ${rest} more`;
  if (head.length <= 1) return head.join('');
  return `${head.slice(0, -1).join(', ')} or ${head[head.length - 1]}`;
}

function oneTarget(t: Target): string {
  const values = t.Values ?? [];
  if (t.Key === 'InstanceIds') {
    if (values.includes('*')) return 'All managed nodes';
    if (values.length === 1) return values[0]!;
    return `${values.length} nodes: ${joinOr(values, 2)}`;
  }
  if (t.Key === 'tag-key') return `Tag key ${joinOr(values)}`;
  if (t.Key.startsWith('tag:')) return `Tag ${t.Key.slice(4)} = ${joinOr(values)}`;
  if (t.Key === 'resource-groups:Name') return `Resource group ${joinOr(values)}`;
  if (t.Key === 'resource-groups:ResourceTypeFilters') return `Resource types ${joinOr(values)}`;
  return `${t.Key} = ${joinOr(values)}`;
}

/**
 * One line for an association's targets. Rows of Targets must all match (AND), the values of
 * one row are alternatives (OR); an association made with the deprecated InstanceId names its
 * node there instead, and one made with TargetMaps has no Targets at all.
 */
export function targetsSummary(a: Pick<Association, 'Targets' | 'InstanceId' | 'TargetMaps'>): string {
  const targets = a.Targets ?? [];
  if (targets.length) return targets.map(oneTarget).join(' and ');
  if (a.InstanceId) return a.InstanceId;
  if (a.TargetMaps?.length) return `${a.TargetMaps.length} target ${a.TargetMaps.length === 1 ? 'map' : 'maps'}`;
  return '—';
}

/** The order counts read in; statuses not listed follow, by name. */
const COUNT_ORDER = ['Success', 'Failed', 'TimedOut', 'Cancelled', 'InProgress', 'Pending', 'Skipped'];

function ordered(counts: Record<string, number>): [string, number][] {
  const rank = (s: string) => {
    const i = COUNT_ORDER.indexOf(s);
    return i < 0 ? COUNT_ORDER.length : i;
  };
  return Object.entries(counts)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

/** `{Success: 3, Failed: 1}` reads `Success 3 · Failed 1`; nothing counted reads as ''. */
export function formatCounts(counts: Record<string, number> | undefined): string {
  return ordered(counts ?? {})
    .map(([s, n]) => `${s} ${n}`)
    .join(' · ');
}

/**
 * ResourceCountByStatus is a string: AWS writes it as Java prints a map, `{Success=2, Failed=1}`.
 * JSON (`{"Success":2}`) is read too, in case a server writes that instead.
 */
export function parseResourceCounts(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (!text) return out;
  const trimmed = text.trim();
  if (trimmed.startsWith('{"')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object') {
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number') out[k] = v;
        return out;
      }
    } catch {
      // Not JSON after all: try the map form below.
    }
  }
  for (const m of trimmed.matchAll(/([A-Za-z][A-Za-z0-9_-]*)\s*[=:]\s*(\d+)/g)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

/** An execution still going: the page follows it. */
export const isRunning = (status: string | undefined): boolean => status === 'Pending' || status === 'InProgress';

const time = (t: Timestamp | undefined) => toDate(t)?.getTime() ?? 0;

/** Newest first, by when the execution was created. */
export function newestFirst<T extends Pick<AssociationExecution, 'CreatedTime'>>(executions: T[]): T[] {
  return executions.slice().sort((a, b) => time(b.CreatedTime) - time(a.CreatedTime));
}

/** The create form as the page holds it. */
export interface AssociationForm {
  document: string;
  /** `$DEFAULT` leaves DocumentVersion out, so the association follows the document's default. */
  version: string;
  values: Record<string, string>;
  targetMode: TargetMode;
  ids: string[];
  tags: TagTarget[];
  schedule: string;
  applyOnlyAtCronInterval: boolean;
  name: string;
  maxConcurrency: string;
  maxErrors: string;
  /** '' leaves it to the server (UNSPECIFIED). */
  complianceSeverity: string;
}

export type FormField = 'document' | 'targets' | 'schedule' | 'applyOnlyAtCronInterval' | 'name' | 'maxConcurrency' | 'maxErrors' | 'parameters';

/** AWS's patterns for these fields (CreateAssociationRequest). */
export const NAME_PATTERN = /^[a-zA-Z0-9_\-.]{3,128}$/;
export const CONCURRENCY_PATTERN = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
export const ERRORS_PATTERN = /^([1-9][0-9]*|0|[1-9][0-9]%|[0-9]%|100%)$/;

/** Targets from the picker: node ids, tag rows, or every node (`InstanceIds` = `*`, as AWS writes it). */
export function formTargets(mode: TargetMode, ids: string[], tags: TagTarget[]): Target[] | string {
  if (mode === 'all') return [{ Key: 'InstanceIds', Values: ['*'] }];
  if (mode === 'ids') return ids.length ? [{ Key: 'InstanceIds', Values: ids }] : 'Choose at least one node.';
  const rows = tags.filter((t) => t.key.trim());
  if (!rows.length) return 'Give at least one tag key.';
  return rows.map((t) => {
    const values = t.values
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
    return values.length ? { Key: `tag:${t.key.trim()}`, Values: values } : { Key: 'tag-key', Values: [t.key.trim()] };
  });
}

/**
 * What the page can tell before asking the server; the server still decides (a cron
 * expression's fields, a document's parameters) and its refusal lands by the field it names.
 */
export function validateAssociationForm(form: AssociationForm, specs: ParamSpec[]): { fields: Partial<Record<FormField, string>>; params: Record<string, string> } {
  const fields: Partial<Record<FormField, string>> = {};
  if (!form.document) fields.document = 'Choose a document.';
  const targets = formTargets(form.targetMode, form.ids, form.tags);
  if (typeof targets === 'string') fields.targets = targets;
  const schedule = form.schedule.trim();
  if (schedule && !/^(cron|rate)\(.*\)$/.test(schedule)) fields.schedule = 'Write a cron(…) or rate(…) expression, such as rate(30 minutes).';
  // AWS: "This parameter isn't supported for rate expressions."
  if (form.applyOnlyAtCronInterval && !schedule.startsWith('cron(')) fields.applyOnlyAtCronInterval = 'Running only at the scheduled times needs a cron(…) schedule.';
  if (form.name.trim() && !NAME_PATTERN.test(form.name.trim())) fields.name = '3 to 128 letters, digits, _, - or .';
  if (form.maxConcurrency.trim() && !CONCURRENCY_PATTERN.test(form.maxConcurrency.trim())) fields.maxConcurrency = 'A number of nodes (1 or more) or a percentage such as 10%.';
  if (form.maxErrors.trim() && !ERRORS_PATTERN.test(form.maxErrors.trim())) fields.maxErrors = 'A number of errors (0 or more) or a percentage such as 10%.';
  return { fields, params: validateAll(specs, form.values) };
}

export const formIsValid = (v: ReturnType<typeof validateAssociationForm>) => Object.keys(v.fields).length === 0 && Object.keys(v.params).length === 0;

/** CreateAssociation's input from a form that validated; empty optional fields are left out for the server's defaults. */
export function toCreateAssociationInput(form: AssociationForm, specs: ParamSpec[]): Record<string, unknown> {
  const targets = formTargets(form.targetMode, form.ids, form.tags);
  if (typeof targets === 'string') throw new Error(targets);
  const parameters = toCommandParameters(specs, form.values);
  const schedule = form.schedule.trim();
  return {
    Name: form.document,
    ...(form.version && form.version !== '$DEFAULT' ? { DocumentVersion: form.version } : {}),
    ...(Object.keys(parameters).length ? { Parameters: parameters } : {}),
    Targets: targets,
    ...(schedule ? { ScheduleExpression: schedule } : {}),
    ...(form.applyOnlyAtCronInterval ? { ApplyOnlyAtCronInterval: true } : {}),
    ...(form.name.trim() ? { AssociationName: form.name.trim() } : {}),
    ...(form.maxConcurrency.trim() ? { MaxConcurrency: form.maxConcurrency.trim() } : {}),
    ...(form.maxErrors.trim() ? { MaxErrors: form.maxErrors.trim() } : {}),
    ...(form.complianceSeverity ? { ComplianceSeverity: form.complianceSeverity } : {}),
  };
}

/** Request members a ValidationException may name, and the field each belongs to. */
const MEMBER_FIELDS: [RegExp, FormField][] = [
  [/\bScheduleExpression\b|\bschedule\b/i, 'schedule'],
  [/\bApplyOnlyAtCronInterval\b/, 'applyOnlyAtCronInterval'],
  [/\bAssociationName\b/, 'name'],
  [/\bMaxConcurrency\b/, 'maxConcurrency'],
  [/\bMaxErrors\b/, 'maxErrors'],
  [/\bTargets?\b|\bInstanceIds?\b/, 'targets'],
  [/\bDocumentVersion\b/, 'document'],
  [/\bParameters\b/, 'parameters'],
];

/**
 * Where a refusal of CreateAssociation belongs in the form: the field its code is about, else
 * one its message names; for InvalidParameters, the parameter when the message names one.
 */
export function refusalPlace(code: string, message: string, specs: ParamSpec[]): { field?: FormField; param?: string } {
  switch (code) {
    case 'InvalidSchedule':
      return { field: 'schedule' };
    case 'InvalidTarget':
    case 'InvalidInstanceId':
    case 'InvalidTargetMaps':
      return { field: 'targets' };
    case 'InvalidDocument':
    case 'InvalidDocumentVersion':
    case 'UnsupportedPlatformType':
      return { field: 'document' };
    case 'InvalidParameters': {
      const param = parameterNamed(message, specs);
      return param ? { field: 'parameters', param } : { field: 'parameters' };
    }
    default: {
      const hit = MEMBER_FIELDS.find(([re]) => re.test(message));
      return hit ? { field: hit[1] } : {};
    }
  }
}
