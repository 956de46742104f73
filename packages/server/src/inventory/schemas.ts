/** The AWS inventory types Capstan accepts, with their schema version and attributes (GetInventorySchema). */
export interface TypeSchema {
  typeName: string;
  version: string;
  attributes: { Name: string; DataType: 'string' | 'number' }[];
  /** Filled by the server from the node itself; PutInventory may not send it. */
  serverProvided?: boolean;
}

const s = (...names: string[]) => names.map((Name) => ({ Name, DataType: 'string' as const }));

export const AWS_TYPES: readonly TypeSchema[] = [
  { typeName: 'AWS:Application', version: '1.1', attributes: s('Name', 'ApplicationType', 'Publisher', 'Version', 'InstalledTime', 'Architecture', 'URL', 'Summary', 'PackageId', 'Release', 'Epoch', 'CompType') },
  { typeName: 'AWS:Network', version: '1.0', attributes: s('Name', 'SubnetMask', 'Gateway', 'DHCPServer', 'DNSServer', 'MacAddress', 'IPV4', 'IPV6') },
  // KernelVersion is Capstan's addition: which kernel a node runs is a fleet question (`uname -r`).
  { typeName: 'AWS:InstanceDetailedInformation', version: '1.0', attributes: s('CPUModel', 'CPUCores', 'CPUs', 'CPUSpeedMHz', 'CPUSockets', 'CPUHyperThreadEnabled', 'OSServicePack', 'KernelVersion') },
  { typeName: 'AWS:Service', version: '1.0', attributes: s('Name', 'DisplayName', 'ServiceType', 'Status', 'DependentServices', 'ServicesDependedOn', 'StartType') },
  { typeName: 'AWS:File', version: '1.0', attributes: s('Name', 'Size', 'Description', 'FileVersion', 'InstalledDate', 'ModificationTime', 'LastAccessTime', 'ProductName', 'InstalledDir', 'ProductLanguage', 'CompanyName', 'ProductVersion') },
  // A managed node's tags live on the server: it writes AWS:Tag from the node's record.
  { typeName: 'AWS:Tag', version: '1.0', attributes: s('Key', 'Value'), serverProvided: true },
  {
    typeName: 'AWS:InstanceInformation',
    version: '1.0',
    attributes: s('AgentType', 'AgentVersion', 'ComputerName', 'InstanceId', 'IpAddress', 'PlatformName', 'PlatformType', 'PlatformVersion', 'ResourceType', 'InstanceStatus'),
    serverProvided: true,
  },
];

export const awsType = (name: string): TypeSchema | undefined => AWS_TYPES.find((t) => t.typeName === name);

/** Capstan's size and count limits for PutInventory (docs/inventory.md, "Limits"). */
export const LIMITS = {
  /** One custom item as sent, JSON bytes. */
  customItemBytes: 200 * 1024,
  /** One AWS item (a host's whole package list is one AWS:Application item), JSON bytes. */
  awsItemBytes: 1024 * 1024,
  /** All items of one call, JSON bytes. */
  totalBytes: 2 * 1024 * 1024,
  /** Custom types one node may hold. */
  customTypesPerNode: 20,
  /** Attributes of one custom type. */
  customAttributes: 50,
} as const;

/** `Custom:` followed by letters, digits, `_`, `-`, `.` (AWS's rule for custom type names). */
export const CUSTOM_TYPE = /^Custom:[A-Za-z0-9_.\-]{1,93}$/;
