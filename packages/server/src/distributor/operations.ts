import { z } from 'zod';
import { AwsError } from '../protocol/errors.js';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { distributor } from './slot.js';
import { sha256Of } from './store.js';

/**
 * Capstan's own: puts a package file in the package store, before CreateDocument or
 * UpdateDocument names it in a manifest. Allowed to whoever may create documents; the bytes
 * stay out of the audit trail.
 */
export const distributorOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CapstanPutPackageFile',
    action: 'ssm:CreateDocument',
    sensitive: ['Content'],
    input: z.object({ Sha256: z.string().regex(/^[0-9a-fA-F]{64}$/), Content: z.base64() }),
    handler: async (i, c) => {
      const data = Buffer.from(i.Content, 'base64');
      const want = i.Sha256.toLowerCase();
      const actual = sha256Of(data);
      if (actual !== want) throw new AwsError('ValidationException', `The file's SHA-256 is ${actual}, not ${want} as given; nothing was stored`, { messageMember: 'Message' });
      await distributor(c.core).store.put(want, data);
      return { Sha256: want, Size: data.length };
    },
  }),
];
