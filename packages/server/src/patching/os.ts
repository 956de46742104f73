import { PATCH_OPERATING_SYSTEMS, type PatchOperatingSystem } from '@capstan/wire';

/** AWS's OperatingSystem enum: every value parses, but only PATCH_OPERATING_SYSTEMS are patched. */
export const AWS_OPERATING_SYSTEMS = ['WINDOWS', 'AMAZON_LINUX', 'AMAZON_LINUX_2', 'AMAZON_LINUX_2022', 'UBUNTU', 'REDHAT_ENTERPRISE_LINUX', 'SUSE', 'CENTOS', 'ORACLE_LINUX', 'DEBIAN', 'MACOS', 'RASPBIAN', 'ROCKY_LINUX', 'ALMA_LINUX', 'AMAZON_LINUX_2023'] as const;

export const isPatchOs = (os: string): os is PatchOperatingSystem => (PATCH_OPERATING_SYSTEMS as readonly string[]).includes(os);

/** What a baseline for one operating system may say, as AWS allows it for that system. */
export interface OsRules {
  /** Shown in messages and in the predefined baselines' names. */
  label: string;
  /** Filter keys for GlobalFilters and approval rules, with the values each accepts (undefined: any). */
  keys: Record<string, RegExp | readonly string[] | undefined>;
  /** apt repositories carry no release dates: AWS takes neither ApproveAfterDays nor ApproveUntilDate there. */
  approvalDelays: boolean;
  /** Products of the predefined baseline and of PRODUCT values, by pattern. */
  product: RegExp;
}

const APT_PRIORITIES = ['Required', 'Important', 'Standard', 'Optional', 'Extra'] as const;
const RPM_CLASSIFICATIONS = ['Security', 'Bugfix', 'Enhancement', 'Recommended', 'Newpackage'] as const;
const RPM_SEVERITIES = ['Critical', 'Important', 'Medium', 'Moderate', 'Low', 'None'] as const;

const apt = (label: string, product: RegExp): OsRules => ({ label, product, approvalDelays: false, keys: { PRODUCT: product, PRIORITY: APT_PRIORITIES, SECTION: /^[A-Za-z0-9._+\-/]{1,64}$/ } });
const rpm = (label: string, product: RegExp): OsRules => ({ label, product, approvalDelays: true, keys: { PRODUCT: product, CLASSIFICATION: RPM_CLASSIFICATIONS, SEVERITY: RPM_SEVERITIES } });

export const OS_RULES: Record<PatchOperatingSystem, OsRules> = {
  DEBIAN: apt('Debian', /^Debian\d+(\.\d+)?$/),
  UBUNTU: apt('Ubuntu', /^Ubuntu\d+\.\d+$/),
  REDHAT_ENTERPRISE_LINUX: rpm('RedHat', /^RedhatEnterpriseLinux\d+(\.\d+)?$/),
  CENTOS: rpm('CentOS', /^CentOS(Stream)?\d+(\.\d+)?$/),
  ORACLE_LINUX: rpm('OracleLinux', /^OracleLinux\d+(\.\d+)?$/),
  ROCKY_LINUX: rpm('RockyLinux', /^RockyLinux\d+(\.\d+)?$/),
  ALMA_LINUX: rpm('AlmaLinux', /^AlmaLinux\d+(\.\d+)?$/),
  AMAZON_LINUX_2: rpm('AmazonLinux2', /^AmazonLinux2(\.0)?$/),
  AMAZON_LINUX_2023: rpm('AmazonLinux2023', /^AmazonLinux2023$/),
};

/** The keys DescribePatchProperties answers per system, as AWS lists them. */
export const propertyKeys = (os: PatchOperatingSystem): string[] => Object.keys(OS_RULES[os].keys);

/**
 * A node's operating system from what its agent reports (os-release NAME and VERSION_ID), and the
 * PRODUCT AWS gives its patches; undefined for systems Capstan does not patch.
 */
export function nodeOs(platformName: string, platformVersion: string): { os: PatchOperatingSystem; product: string } | undefined {
  const name = platformName.toLowerCase();
  const v = platformVersion.trim();
  const major = v.split('.')[0] ?? v;
  if (name.startsWith('debian')) return { os: 'DEBIAN', product: `Debian${major}` };
  if (name.startsWith('ubuntu')) return { os: 'UBUNTU', product: `Ubuntu${v}` };
  if (name.startsWith('red hat')) return { os: 'REDHAT_ENTERPRISE_LINUX', product: `RedhatEnterpriseLinux${v}` };
  if (name.startsWith('centos')) return { os: 'CENTOS', product: name.includes('stream') ? `CentOSStream${major}` : `CentOS${v}` };
  if (name.startsWith('oracle')) return { os: 'ORACLE_LINUX', product: `OracleLinux${v}` };
  if (name.startsWith('rocky')) return { os: 'ROCKY_LINUX', product: `RockyLinux${v}` };
  if (name.startsWith('alma')) return { os: 'ALMA_LINUX', product: `AlmaLinux${v}` };
  if (name.startsWith('amazon linux')) {
    if (major === '2') return { os: 'AMAZON_LINUX_2', product: 'AmazonLinux2' };
    if (major === '2023') return { os: 'AMAZON_LINUX_2023', product: 'AmazonLinux2023' };
  }
  return undefined;
}
