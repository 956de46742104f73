import type { EventBridgeEvent } from '../events/shape.js';

/** What a target is given instead of the whole event (EventBridge's Input, InputPath, InputTransformer). */
export interface InputConfig {
  Input?: string | undefined;
  InputPath?: string | undefined;
  InputTransformer?: { InputPathsMap?: Record<string, string> | undefined; InputTemplate: string } | undefined;
}

export class InputError extends Error {}

type Step = string | number;

/**
 * The JSONPath EventBridge accepts in InputPath and InputPathsMap: `$`, then `.name`,
 * `['name']` or `[index]` steps. No wildcards, filters or recursion.
 */
export function parsePath(path: string): Step[] {
  if (!path.startsWith('$')) throw new InputError(`${path} is not a JSON path: it must start with $, e.g. $.detail.instance-id`);
  const steps: Step[] = [];
  let i = 1;
  while (i < path.length) {
    if (path[i] === '.') {
      const m = /^[^.[\]]+/.exec(path.slice(i + 1));
      if (!m) throw new InputError(`${path}: a name must follow the dot at position ${i}`);
      steps.push(m[0]);
      i += 1 + m[0].length;
    } else if (path[i] === '[') {
      const m = /^\[(?:(\d+)|'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\]/.exec(path.slice(i));
      if (!m) throw new InputError(`${path}: expected [index] or ['name'] at position ${i}`);
      steps.push(m[1] !== undefined ? Number(m[1]) : (m[2] ?? m[3])!.replace(/\\(.)/g, '$1'));
      i += m[0].length;
    } else {
      throw new InputError(`${path}: unexpected ${path[i]} at position ${i}`);
    }
  }
  return steps;
}

export function select(value: unknown, steps: readonly Step[]): unknown {
  let cur = value;
  for (const s of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[s];
  }
  return cur;
}

const PLACEHOLDER = /^[A-Za-z0-9_.-]+$/;
const MAX_PATHS = 100;

/** Checks a target's input configuration as PutTargets receives it. */
export function checkInput(c: InputConfig): void {
  const given = [c.Input !== undefined, c.InputPath !== undefined, c.InputTransformer !== undefined].filter(Boolean).length;
  if (given > 1) throw new InputError('Input, InputPath and InputTransformer are mutually exclusive: give at most one.');
  if (c.Input !== undefined) {
    try {
      JSON.parse(c.Input);
    } catch {
      throw new InputError('Input must be valid JSON text.');
    }
  }
  if (c.InputPath !== undefined) parsePath(c.InputPath);
  if (c.InputTransformer) {
    const paths = Object.entries(c.InputTransformer.InputPathsMap ?? {});
    if (paths.length > MAX_PATHS) throw new InputError(`InputPathsMap has ${paths.length} entries; at most ${MAX_PATHS}.`);
    for (const [name, path] of paths) {
      if (!PLACEHOLDER.test(name) || name.startsWith('aws.events.')) throw new InputError(`InputPathsMap key ${name} is not allowed: use letters, digits, _ and -, and not the reserved aws.events. prefix.`);
      parsePath(path);
    }
  }
}

export interface RuleFacts {
  name: string;
  arn: string;
  /** When the event reached the bus (epoch ms). */
  ingestedAt: number;
}

/** The text a target receives for an event, as EventBridge forms it. */
export function targetInput(c: InputConfig, event: EventBridgeEvent, rule: RuleFacts): string {
  if (c.Input !== undefined) return c.Input;
  if (c.InputPath !== undefined) return JSON.stringify(select(event, parsePath(c.InputPath)) ?? null);
  if (c.InputTransformer) return transform(c.InputTransformer, event, rule);
  return JSON.stringify(event);
}

/**
 * InputTemplate with `<name>` placeholders. Inside a JSON string a value goes in as text (a
 * string's characters, escaped); elsewhere as JSON (a string with its quotes), so
 * `{"node": <id>}` and `{"node": "<id>"}` both give `{"node": "mi-…"}`. A path that finds
 * nothing gives null (or nothing, inside a string).
 */
function transform(t: NonNullable<InputConfig['InputTransformer']>, event: EventBridgeEvent, rule: RuleFacts): string {
  const values = new Map<string, unknown>();
  for (const [name, path] of Object.entries(t.InputPathsMap ?? {})) values.set(name, select(event, parsePath(path)));
  values.set('aws.events.rule-arn', rule.arn);
  values.set('aws.events.rule-name', rule.name);
  values.set('aws.events.event.ingestion-time', new Date(rule.ingestedAt).toISOString());
  values.set('aws.events.event', event);
  values.set('aws.events.event.json', event);
  const template = t.InputTemplate;
  let out = '';
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === '<') {
      const end = template.indexOf('>', i + 1);
      const name = end < 0 ? '' : template.slice(i + 1, end);
      if (name && values.has(name)) {
        const v = values.get(name);
        out += inString ? (typeof v === 'string' ? JSON.stringify(v).slice(1, -1) : v === undefined ? '' : JSON.stringify(JSON.stringify(v)).slice(1, -1)) : JSON.stringify(v ?? null);
        i = end;
        continue;
      }
    }
    out += c;
  }
  return out;
}

/**
 * Parameters for SSM (StartAutomationExecution, SendCommand) from a target's input: a JSON
 * object whose values are strings, numbers, booleans or lists of them.
 */
export function ssmParameters(text: string | undefined): Record<string, string[]> {
  if (text === undefined) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new InputError('the target input is not JSON; runbook and Run Command targets take a JSON object of parameter names to values.');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new InputError('the target input must be a JSON object of parameter names to values (strings or lists of strings).');
  const out: Record<string, string[]> = {};
  for (const [k, val] of Object.entries(v)) {
    const list = Array.isArray(val) ? val : [val];
    if (!list.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) throw new InputError(`parameter ${k} must be a string or a list of strings.`);
    out[k] = list.map(String);
  }
  return out;
}
