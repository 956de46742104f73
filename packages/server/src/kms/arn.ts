/** ARNs and key identifiers as KMS forms and accepts them. */
export const keyArn = (account: string, region: string, keyId: string) => `arn:aws:kms:${region}:${account}:key/${keyId}`;
export const aliasArn = (account: string, region: string, aliasName: string) => `arn:aws:kms:${region}:${account}:${aliasName}`;

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The alias Parameter Store encrypts SecureStrings under when no key is named. */
export const SSM_MANAGED_ALIAS = 'alias/aws/ssm';
export const SSM_MANAGED_DESCRIPTION = 'Default key that protects my SSM parameters when no other key is defined';

/** What a KeyId parameter names. */
export type KeyReference =
  | { kind: 'key'; keyId: string; account: string; region: string; given: string }
  | { kind: 'alias'; aliasName: string; account: string; region: string; given: string };

const ARN = /^arn:aws:kms:([^:]*):([^:]*):(key\/.+|alias\/.+)$/;

/**
 * Reads a KeyId as a key id, key ARN, alias name or alias ARN. Ids and aliases are in the
 * caller's account and region; ARNs carry their own, which the caller must then check.
 */
export function parseKeyReference(given: string, account: string, region: string): KeyReference {
  if (given.startsWith('alias/')) return { kind: 'alias', aliasName: given, account, region, given };
  const m = ARN.exec(given);
  if (m) {
    const [, r, a, resource] = m as unknown as [string, string, string, string];
    if (resource.startsWith('alias/')) return { kind: 'alias', aliasName: resource, account: a, region: r, given };
    return { kind: 'key', keyId: resource.slice('key/'.length), account: a, region: r, given };
  }
  return { kind: 'key', keyId: given, account, region, given };
}
