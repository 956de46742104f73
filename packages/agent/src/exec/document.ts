import type { ParsedDocument, ParsedStep } from './types.js';

/** The command document schema versions AWS's agent accepts. */
const RUNTIME_CONFIG_VERSIONS = new Set(['1.0', '1.2']);
const MAIN_STEPS_VERSIONS = new Set(['2.0', '2.0.1', '2.0.2', '2.0.3', '2.2']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** YAML reads `schemaVersion: 2.0` as the number 2. */
function versionOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number') return Number.isInteger(v) ? v.toFixed(1) : String(v);
  return undefined;
}

export function parseDocument(doc: unknown): ParsedDocument | { error: string } {
  if (!isObject(doc)) return { error: 'the document is not an object' };
  const schemaVersion = versionOf(doc.schemaVersion);
  if (!schemaVersion) return { error: 'the document has no schemaVersion' };
  let steps: Omit<ParsedStep, 'dir'>[] | { error: string };
  if (RUNTIME_CONFIG_VERSIONS.has(schemaVersion)) steps = runtimeConfigSteps(doc.runtimeConfig);
  else if (MAIN_STEPS_VERSIONS.has(schemaVersion)) steps = mainSteps(doc.mainSteps);
  else return { error: `Unsupported document schema version ${schemaVersion}: this agent runs command documents of schema 1.0, 1.2, 2.0, 2.0.1, 2.0.2, 2.0.3 and 2.2` };
  if ('error' in steps) return steps;
  return { schemaVersion, preconditionsEnabled: schemaVersion === '2.2', steps: withDirs(steps) };
}

function runtimeConfigSteps(config: unknown): Omit<ParsedStep, 'dir'>[] | { error: string } {
  if (!isObject(config)) return { error: 'a schema 1.x document needs a runtimeConfig object' };
  const steps: Omit<ParsedStep, 'dir'>[] = [];
  for (const [action, plugin] of Object.entries(config)) {
    if (!isObject(plugin)) return { error: `runtimeConfig.${action} is not an object` };
    const props = Array.isArray(plugin.properties) ? plugin.properties : [plugin.properties ?? {}];
    for (const p of props) {
      if (!isObject(p)) return { error: `runtimeConfig.${action}.properties holds a non-object` };
      const name = typeof p.id === 'string' && p.id ? p.id : action;
      const precondition = p.precondition ?? plugin.precondition;
      steps.push({ name, action, inputs: p, ...(precondition === undefined ? {} : { precondition }) });
    }
  }
  return steps;
}

function mainSteps(list: unknown): Omit<ParsedStep, 'dir'>[] | { error: string } {
  if (!Array.isArray(list)) return { error: 'a schema 2.x document needs a mainSteps list' };
  const steps: Omit<ParsedStep, 'dir'>[] = [];
  const names = new Set<string>();
  for (const [i, s] of list.entries()) {
    if (!isObject(s) || typeof s.action !== 'string' || !s.action) return { error: `mainSteps[${i}] has no action` };
    const name = typeof s.name === 'string' && s.name ? s.name : s.action;
    if (names.has(name)) return { error: `step name ${name} is used twice` };
    names.add(name);
    if (s.inputs !== undefined && !isObject(s.inputs)) return { error: `step ${name}: inputs must be an object` };
    steps.push({
      name,
      action: s.action,
      inputs: (s.inputs as Record<string, unknown> | undefined) ?? {},
      ...(s.precondition === undefined ? {} : { precondition: s.precondition }),
      ...(s.timeoutSeconds === undefined ? {} : { timeoutSeconds: s.timeoutSeconds }),
    });
  }
  return steps;
}

/** Step names may hold `/` or repeat (1.2 without ids); directories must not collide. */
function withDirs(steps: Omit<ParsedStep, 'dir'>[]): ParsedStep[] {
  const used = new Set<string>(['downloads', 'state.json', 'state.json.tmp']);
  return steps.map((s, i) => {
    let dir = s.name.replace(/[^A-Za-z0-9._:-]/g, '_').replace(/^\.+/, '_') || `step${i}`;
    if (used.has(dir)) dir = `${dir}-${i}`;
    used.add(dir);
    return { ...s, dir };
  });
}
