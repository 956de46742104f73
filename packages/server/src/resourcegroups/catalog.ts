import type { Core } from '../protocol/context.js';
import { taggingService, type Taggable, type Tags } from '../tagging/index.js';

/** One taggable resource as Resource Groups and the tagging API see it. */
export interface Resource {
  arn: string;
  /** `AWS::SSM::Document`: Resource Groups' name for the type. */
  type: string;
  /** `ssm:document`: the tagging API's name for the type. */
  taggingType: string;
  tags: Tags;
  /** The id the owning capability knows it by, and how it is tagged; absent for groups (tagged here). */
  id: string;
  taggable?: Taggable;
}

/** AWS's type names for each kind of resource Capstan tags. */
export const TYPE_NAMES: Record<Taggable['resourceType'], { type: string; taggingType: string }> = {
  ManagedInstance: { type: 'AWS::SSM::ManagedInstance', taggingType: 'ssm:managed-instance' },
  Document: { type: 'AWS::SSM::Document', taggingType: 'ssm:document' },
  Parameter: { type: 'AWS::SSM::Parameter', taggingType: 'ssm:parameter' },
  MaintenanceWindow: { type: 'AWS::SSM::MaintenanceWindow', taggingType: 'ssm:maintenancewindow' },
  PatchBaseline: { type: 'AWS::SSM::PatchBaseline', taggingType: 'ssm:patchbaseline' },
  OpsItem: { type: 'AWS::SSM::OpsItem', taggingType: 'ssm:opsitem' },
  OpsMetadata: { type: 'AWS::SSM::OpsMetadata', taggingType: 'ssm:opsmetadata' },
  Automation: { type: 'AWS::SSM::AutomationExecution', taggingType: 'ssm:automation-execution' },
  Association: { type: 'AWS::SSM::Association', taggingType: 'ssm:association' },
};
export const GROUP_TYPE = { type: 'AWS::ResourceGroups::Group', taggingType: 'resource-groups:group' };

/** Every type a query may name; others are reported as RESOURCE_TYPE_NOT_SUPPORTED. */
export const supportedTypes = (core: Core): Set<string> => new Set([...taggingService(core).all().map((t) => TYPE_NAMES[t.resourceType].type), GROUP_TYPE.type]);

/**
 * The account's resources in a region, read from the capabilities that own them (each keeps its
 * own tags) and from the groups themselves. `wanted` narrows by Resource Groups type name, so a
 * node query does not read every parameter.
 */
export async function listResources(core: Core, account: string, region: string, groups: () => Promise<Resource[]>, wanted?: ReadonlySet<string>): Promise<Resource[]> {
  const out: Resource[] = [];
  for (const t of taggingService(core).all()) {
    const names = TYPE_NAMES[t.resourceType];
    if (wanted && !wanted.has(names.type)) continue;
    for (const r of await t.list(account, region)) out.push({ arn: t.arn(account, region, r.id), ...names, tags: r.tags, id: r.id, taggable: t });
  }
  if (!wanted || wanted.has(GROUP_TYPE.type)) out.push(...(await groups()));
  return out.sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0));
}
