import { checkKind, fail, list, type Kind, type Obj, type Platform } from './shared.js';

export interface InputSpec {
  kind: Kind;
  required?: boolean;
  values?: readonly string[];
}

export interface PluginSpec {
  /** Where the agent runs the plugin; a document's platform types are derived from these. */
  platforms: readonly Platform[];
  inputs: Record<string, InputSpec>;
  /** Plugins whose inputs are settings passed through to another program accept more than we list. */
  open?: boolean;
  /** Plugins added with schema 2.0; a 1.2 document cannot use them. */
  since20?: boolean;
}

const WLM: readonly Platform[] = ['Windows', 'Linux', 'MacOS'];
const WL: readonly Platform[] = ['Windows', 'Linux'];
const W: readonly Platform[] = ['Windows'];
const LM: readonly Platform[] = ['Linux', 'MacOS'];

const req = (kind: Kind, values?: readonly string[]): InputSpec => ({ kind, required: true, ...(values ? { values } : {}) });
const opt = (kind: Kind, values?: readonly string[]): InputSpec => ({ kind, ...(values ? { values } : {}) });

const script = { runCommand: req('stringOrList'), workingDirectory: opt('string'), timeoutSeconds: opt('scalar'), environment: opt('map') };
const inventory = Object.fromEntries(
  ['applications', 'awsComponents', 'files', 'networkConfig', 'windowsUpdates', 'instanceDetailedInformation', 'services', 'windowsRegistry', 'windowsRoles', 'customInventory', 'billingInfo', 'customInventoryDirectory'].map((k) => [k, opt('string')]),
);

/**
 * The Command document plugins, with the platforms the agent runs them on (the plugin reference
 * lists which run on macOS) and their inputs from the plugin reference.
 */
export const PLUGINS: Record<string, PluginSpec> = {
  'aws:runShellScript': { platforms: LM, inputs: script },
  'aws:runPowerShellScript': { platforms: WLM, inputs: script },
  'aws:runDocument': {
    platforms: WL,
    since20: true,
    // The reference marks documentPath optional, but nothing can run without it: we require it.
    inputs: { documentType: req('string', ['SSMDocument', 'LocalPath']), documentPath: req('string'), documentParameters: opt('mapOrJson') },
  },
  'aws:downloadContent': {
    platforms: WL,
    since20: true,
    inputs: { sourceType: req('string', ['GitHub', 'Git', 'HTTP', 'S3', 'SSMDocument']), sourceInfo: req('mapOrJson'), destinationPath: opt('string') },
  },
  'aws:configurePackage': {
    platforms: WL,
    inputs: {
      name: req('string'),
      action: req('string', ['Install', 'Uninstall']),
      installationType: opt('string', ['Uninstall and reinstall', 'In-place update']),
      version: opt('string'),
      additionalArguments: opt('mapOrJson'),
    },
  },
  'aws:softwareInventory': { platforms: WLM, since20: true, inputs: inventory },
  'aws:runPatchBaseline': {
    // AWS runs it on Windows only; Capstan's agent patches Linux (apt, dnf/yum) with it too.
    platforms: WLM,
    open: true,
    inputs: { Operation: req('string', ['Scan', 'Install']), SnapshotId: opt('string'), InstallOverrideList: opt('string'), RebootOption: opt('string', ['RebootIfNeeded', 'NoReboot']) },
  },
  'aws:applications': {
    platforms: W,
    inputs: { action: req('string', ['Install', 'Repair', 'Uninstall']), source: req('string'), parameters: opt('string'), sourceHash: opt('string') },
  },
  'aws:cloudWatch': { platforms: W, open: true, inputs: {} },
  'aws:configureDocker': { platforms: WL, inputs: { action: req('string', ['Install', 'Uninstall']) } },
  'aws:domainJoin': {
    platforms: WL,
    inputs: {
      directoryId: req('string'),
      directoryName: req('string'),
      directoryOU: opt('string'),
      dnsIpAddresses: req('stringList'),
      hostName: opt('string'),
      hostNameNumAppendDigits: opt('scalar'),
      keepHostName: opt('boolean'),
    },
  },
  'aws:psModule': {
    platforms: W,
    inputs: { runCommand: opt('stringOrList'), source: req('string'), sourceHash: opt('string'), timeoutSeconds: opt('scalar'), workingDirectory: opt('string') },
  },
  'aws:refreshAssociation': { platforms: WLM, inputs: { associationIds: opt('stringList') } },
  'aws:runDockerAction': {
    platforms: WL,
    inputs: Object.fromEntries([['action', req('string')], ...['container', 'image', 'cmd', 'memory', 'cpuShares', 'volume', 'env', 'user', 'publish', 'workingDirectory', 'timeoutSeconds'].map((k) => [k, opt('any')])]),
  },
  'aws:updateAgent': { platforms: W, inputs: { agentName: req('string'), allowDowngrade: opt('boolean'), source: req('string'), targetVersion: opt('string') } },
  // AWS requires `source` (its release manifest URL); Capstan's agent updates from the control plane
  // it is registered with, so the input is accepted but not required.
  'aws:updateSsmAgent': { platforms: WLM, inputs: { agentName: req('string'), allowDowngrade: req('boolean'), source: opt('string'), targetVersion: opt('string') } },
};

export const PLUGIN_NAMES = Object.keys(PLUGINS);

/** Inputs every plugin accepts (agent 3.0.502 and later) to end a document early. */
const SHARED_INPUTS: Record<string, InputSpec> = {
  onFailure: opt('string', ['exit', 'successAndExit']),
  onSuccess: opt('string', ['exit']),
  finallyStep: opt('boolean'),
};

/**
 * Checks one step's inputs (or one 1.2 `properties` entry) against its plugin. `field` is how the
 * inputs are spelt in messages (`inputs` or `properties[0]`); `extra` are keys the container adds.
 */
export function checkPluginInputs(action: string, inputs: Obj, where: string, field: string, extra: readonly string[] = []): void {
  const spec = PLUGINS[action]!;
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (input.required && inputs[name] === undefined) fail(where, `action ${action} requires ${field}.${name}`);
  }
  for (const [name, value] of Object.entries(inputs)) {
    const input = spec.inputs[name] ?? SHARED_INPUTS[name];
    if (!input) {
      if (spec.open || extra.includes(name)) continue;
      fail(where, `action ${action} has no input ${field}.${name} (its inputs: ${list([...Object.keys(spec.inputs), ...Object.keys(SHARED_INPUTS)])})`);
    }
    checkKind(value, input.kind, where, `${field}.${name}`, input.values);
  }
}
