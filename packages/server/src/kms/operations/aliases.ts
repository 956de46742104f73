import { z } from 'zod';
import { defineOperation as op, type AnyOperation } from '../../protocol/registry.js';
import { KMS } from '../../protocol/services.js';
import { aliasArn, keyArn, parseKeyReference } from '../arn.js';
import { checkAliasName } from '../aliases.js';
import { validation } from '../errors.js';
import { aliasNameType, decodeMarker, keyIdType, limitOf, limitType, markerType, page } from '../schema.js';
import { assertCustomerManaged, findKey, resourceArn, svc } from './common.js';

/** CreateAlias and DeleteAlias need permission on the alias and on its key, as in KMS. */
const createAlias = op({
  service: KMS, name: 'CreateAlias',
  input: z.object({ AliasName: aliasNameType, TargetKeyId: keyIdType }),
  resources: async (i, c) => [aliasArn(c.accountId, c.region, i.AliasName), await resourceArn(c, i.TargetKeyId, false)],
  handler: async (i, c) => {
    checkAliasName(i.AliasName);
    if (parseKeyReference(i.TargetKeyId, c.accountId, c.region).kind === 'alias') throw validation('Aliases must refer to keys. Not aliases');
    const key = await findKey(c, i.TargetKeyId, false);
    assertCustomerManaged(c, key, 'CreateAlias');
    await svc(c).aliases.create(c.accountId, c.region, i.AliasName, key);
    return {};
  },
});

const deleteAlias = op({
  service: KMS, name: 'DeleteAlias',
  input: z.object({ AliasName: aliasNameType }),
  resources: async (i, c) => {
    const target = await svc(c).aliases.target(c.accountId, c.region, i.AliasName);
    return [aliasArn(c.accountId, c.region, i.AliasName), ...(target ? [keyArn(c.accountId, c.region, target)] : [])];
  },
  handler: async (i, c) => (await svc(c).aliases.delete(c.accountId, c.region, i.AliasName), {}),
});

const listAliases = op({
  service: KMS, name: 'ListAliases',
  input: z.object({ KeyId: keyIdType.optional(), Limit: limitType.optional(), Marker: markerType.optional() }),
  handler: async (i, c) => {
    const keyId = i.KeyId !== undefined ? (await findKey(c, i.KeyId, false)).key_id : undefined;
    const limit = limitOf(i.Limit, 50, 100);
    const after = decodeMarker(i.Marker, (last) => last.startsWith('alias/'));
    const rows = await svc(c).aliases.list(c.accountId, c.region, keyId, after, limit);
    const { items, ...more } = page(rows, limit, (r) => r.alias_name);
    return {
      Aliases: items.map((r) => ({
        AliasName: r.alias_name, AliasArn: aliasArn(c.accountId, c.region, r.alias_name), TargetKeyId: r.key_id,
        CreationDate: new Date(r.created_at), LastUpdatedDate: new Date(r.updated_at),
      })),
      ...more,
    };
  },
});

export const aliasOperations: AnyOperation[] = [createAlias, deleteAlias, listAliases];
