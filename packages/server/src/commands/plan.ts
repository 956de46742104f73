import { createHash } from 'node:crypto';
import type { CommandPayload } from '@capstan/wire';
import { resolveDocument, type ResolvedDocument } from '../documents/index.js';
import { interpolate, prepareParameters, type SuppliedParameters } from '../documents/resolve/index.js';
import type { CallContext } from '../protocol/context.js';
import { invalidDocument } from './errors.js';

const DEFAULT_STEP_TIMEOUT_S = 3600;

export interface Plan {
  doc: ResolvedDocument;
  /** What the nodes run: the document with every parameter substituted. Holds secrets; sealed at rest. */
  runnable: unknown;
  documents: NonNullable<CommandPayload['documents']>;
  /** The longest the document may run: each step's timeout, added up. */
  executionBudgetMs: number;
}

/**
 * The document a SendCommand runs, with the caller's parameters bound and `{{ssm:…}}` resolved
 * with the caller's permissions; documents its steps run or download are resolved the same way
 * now, so the node never needs the caller's rights.
 */
export async function planCommand(call: CallContext, i: { DocumentName: string; DocumentVersion?: string; DocumentHash?: string; DocumentHashType?: string; Parameters?: SuppliedParameters }, types: readonly string[] = ['Command']): Promise<Plan> {
  const doc = await resolveDocument(call, i.DocumentName, i.DocumentVersion);
  if (!types.includes(doc.documentType)) throw invalidDocument(`Document ${doc.name} is a ${doc.documentType} document; SendCommand runs Command documents.`);
  if (i.DocumentHash !== undefined) {
    const actual = i.DocumentHashType === 'Sha1' ? createHash('sha1').update(doc.text).digest('hex') : doc.hash;
    if (actual !== i.DocumentHash) throw invalidDocument(`The ${i.DocumentHashType ?? 'Sha256'} hash of document ${doc.name} version ${doc.version} is ${actual}, not ${i.DocumentHash}.`);
  }
  const { values } = await prepareParameters(call, doc.parameters, i.Parameters ?? {});
  const runnable = interpolate(doc.content, values);
  const steps = stepsOf(runnable);
  const documents: Plan['documents'] = {};
  for (const inputs of steps) {
    const ref = embeddedReference(inputs);
    if (!ref || documents[ref]) continue;
    const [name, version] = splitVersion(ref);
    const nested = await resolveDocument(call, name, version);
    documents[ref] = { content: nested.content, format: nested.format as 'JSON' | 'YAML' | 'TEXT', text: nested.text };
  }
  const budget = steps.reduce((sum, inputs) => sum + stepTimeout(inputs), 0);
  return { doc, runnable, documents, executionBudgetMs: Math.max(1, steps.length ? budget : DEFAULT_STEP_TIMEOUT_S) * 1000 };
}

/** Each step's inputs: 2.x `mainSteps[].inputs`, 1.2 `runtimeConfig.<plugin>.properties[]`. */
function stepsOf(doc: unknown): Record<string, unknown>[] {
  const d = (doc ?? {}) as { mainSteps?: { inputs?: unknown; timeoutSeconds?: unknown }[]; runtimeConfig?: Record<string, { properties?: unknown }> };
  if (Array.isArray(d.mainSteps)) return d.mainSteps.map((s) => ({ ...((s.inputs ?? {}) as Record<string, unknown>), ...(s.timeoutSeconds !== undefined ? { stepTimeoutSeconds: s.timeoutSeconds } : {}) }));
  const out: Record<string, unknown>[] = [];
  for (const plugin of Object.values(d.runtimeConfig ?? {})) {
    const props = plugin?.properties;
    for (const p of Array.isArray(props) ? props : props ? [props] : []) out.push(p as Record<string, unknown>);
  }
  return out;
}

function stepTimeout(inputs: Record<string, unknown>): number {
  const v = Number(inputs.timeoutSeconds ?? inputs.stepTimeoutSeconds ?? DEFAULT_STEP_TIMEOUT_S);
  return Number.isFinite(v) && v >= 5 && v <= 172_800 ? v : DEFAULT_STEP_TIMEOUT_S;
}

/** The Capstan document an `aws:runDocument` or `aws:downloadContent` step names, if any. */
function embeddedReference(inputs: Record<string, unknown>): string | undefined {
  if (inputs.documentType === 'SSMDocument' && typeof inputs.documentPath === 'string') return inputs.documentPath;
  if (inputs.sourceType === 'SSMDocument') {
    let info = inputs.sourceInfo;
    if (typeof info === 'string') {
      try {
        info = JSON.parse(info) as unknown;
      } catch {
        return undefined;
      }
    }
    const name = (info as { name?: unknown } | undefined)?.name;
    return typeof name === 'string' ? name : undefined;
  }
  return undefined;
}

function splitVersion(ref: string): [string, string | undefined] {
  const m = /^(.*):(\d+)$/.exec(ref);
  return m && !ref.startsWith('arn:') ? [m[1]!, m[2]] : [ref, undefined];
}
