import { fail, isObject, join, show, stepLabel, type Obj } from './shared.js';

export interface ReferenceScope {
  /** Automation adds system variables, runbook variables and step outputs to what `{{ }}` may name. */
  kind: 'command' | 'automation' | 'session';
  parameters: ReadonlySet<string>;
  /** Automation: every step name, loop steps included. */
  steps?: ReadonlySet<string>;
  /** Automation: names declared under `variables`. */
  variables?: ReadonlySet<string>;
}

const AUTOMATION_VARIABLES = new Set(['automation:EXECUTION_ID']);
const GLOBAL_VARIABLES = new Set(['global:ACCOUNT_ID', 'global:REGION', 'global:AWS_PARTITION', 'global:DATE', 'global:DATE_TIME']);
const REFERENCE = /\{\{(.*?)\}\}/gs;
const PARAMETER = /^[A-Za-z0-9_]+$/;
const STEP_OUTPUT = /^([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+)+)$/;
const STORE = /^(ssm|ssm-secure|resolve):\s*(.*)$/s;
const PREFIXED = /^([A-Za-z][\w-]*):/;

/**
 * Checks every `{{ … }}` in the document's strings. Text between double braces that cannot be a
 * reference at all (`{{ .State.Running }}` in a docker format string, `{{ a + b }}` in a
 * template) is left alone: the agent substitutes only names, and such text is not one.
 */
export function checkReferences(doc: Obj, scope: ReferenceScope): void {
  walk(doc, [], doc, scope);
}

function walk(value: unknown, path: (string | number)[], doc: Obj, scope: ReferenceScope): void {
  if (typeof value === 'string') {
    if (value.includes('{{')) checkString(value, path, doc, scope);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, [...path, i], doc, scope));
  } else if (isObject(value)) {
    // Descriptions are prose for people (runbooks use Markdown there); nothing substitutes into them.
    for (const [k, v] of Object.entries(value)) if (!(k === 'description' && typeof v === 'string')) walk(v, [...path, k], doc, scope);
  }
}

function checkString(text: string, path: (string | number)[], doc: Obj, scope: ReferenceScope): void {
  for (const m of text.matchAll(REFERENCE)) {
    const inner = m[1]!.trim();
    const problem = classify(inner, scope);
    if (problem) {
      const { where, field } = locate(doc, path);
      fail(where, `${field || 'the document'} ${problem}`);
    }
  }
}

/** Returns what is wrong with one reference, or undefined when it names something that exists. */
function classify(inner: string, scope: ReferenceScope): string | undefined {
  const store = STORE.exec(inner);
  if (store) return store[2]!.trim() === '' ? `has an empty {{${store[1]}:}} reference` : undefined;
  if (PARAMETER.test(inner)) return scope.parameters.has(inner) ? undefined : `references undeclared parameter ${show(inner)} ({{ ${inner} }})`;
  if (scope.kind === 'automation') {
    if (AUTOMATION_VARIABLES.has(inner) || GLOBAL_VARIABLES.has(inner)) return undefined;
    if (inner.startsWith('variable:')) {
      const name = inner.slice('variable:'.length).trim();
      return scope.variables?.has(name) ? undefined : `references undeclared runbook variable ${show(name)} ({{ ${inner} }})`;
    }
    const output = STEP_OUTPUT.exec(inner);
    if (output) {
      return scope.steps?.has(output[1]!) ? undefined : `references the output of step ${show(output[1])}, which does not exist ({{ ${inner} }})`;
    }
    if (inner.startsWith('automation:') || inner.startsWith('global:')) return `references unknown system variable {{ ${inner} }}`;
  } else if (STEP_OUTPUT.test(inner)) {
    return `references undeclared parameter ${show(inner)} ({{ ${inner} }}); parameter names cannot contain dots`;
  }
  const prefix = PREFIXED.exec(inner);
  if (prefix) return `uses an unknown reference kind ${show(prefix[1])} in {{ ${inner} }}`;
  return undefined;
}

/**
 * Names where a string sits: the innermost step (by index and name) and the field below it,
 * e.g. `mainSteps[0] (name: run)` and `inputs.runCommand[1]`.
 */
export function locate(doc: Obj, path: readonly (string | number)[]): { where: string; field: string } {
  let where = '';
  let field = '';
  let node: unknown = doc;
  let parentKey: string | number | undefined;
  for (const key of path) {
    const next: unknown = Array.isArray(node) ? node[key as number] : isObject(node) ? node[key as string] : undefined;
    if (typeof key === 'number' && (parentKey === 'mainSteps' || parentKey === 'Steps') && isObject(next) && typeof next.action === 'string') {
      // `field` ends with the list's own name here, so it is the list's path.
      where = (where ? `${where}.` : '') + stepLabel(field, key, next.name);
      field = '';
    } else {
      field = join(field, key);
    }
    parentKey = key;
    node = next;
  }
  return { where, field };
}
