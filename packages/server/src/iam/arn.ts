/** ARNs of IAM entities, formed exactly as AWS forms them. */
export const userArn = (account: string, path: string, name: string) => `arn:aws:iam::${account}:user${path}${name}`;
export const roleArn = (account: string, path: string, name: string) => `arn:aws:iam::${account}:role${path}${name}`;
export const policyArn = (account: string, path: string, name: string) => `arn:aws:iam::${account}:policy${path}${name}`;
export const assumedRoleArn = (account: string, role: string, session: string) => `arn:aws:sts::${account}:assumed-role/${role}/${session}`;
export const accountRootArn = (account: string) => `arn:aws:iam::${account}:root`;

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(arn: string): ParsedArn | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return { partition: parts[1]!, service: parts[2]!, region: parts[3]!, account: parts[4]!, resource: parts.slice(5).join(':') };
}

/** `arn:aws:iam::123:role/path/Name` → { account, path: '/path/', name: 'Name' } */
export function parseEntityArn(arn: string, kind: 'user' | 'role' | 'policy'): { account: string; path: string; name: string } | undefined {
  const p = parseArn(arn);
  if (!p || p.service !== 'iam' || !p.resource.startsWith(kind + '/')) return undefined;
  const rest = p.resource.slice(kind.length);
  const slash = rest.lastIndexOf('/');
  return { account: p.account, path: rest.slice(0, slash + 1), name: rest.slice(slash + 1) };
}
