import { z } from 'zod';
import { defineOperation } from '../../../protocol/registry.js';
import { SSM } from '../../../protocol/services.js';
import type { TestServer } from '../../../test-support/server.js';
import { jsonHeaders, rawCall } from '../../../test-support/sign.js';
import { interpolate, prepareParameters, redactSecrets, scrubSecrets, type ParameterDeclaration } from '../index.js';

/**
 * A test-only SSM operation that runs the resolver inside a real call, so Parameter Store,
 * KMS and IAM answer exactly as they will for SendCommand: the caller's own permissions, the
 * wire's error shape, both engines.
 */
export const resolveProbe = defineOperation({
  service: SSM,
  name: 'CapstanResolveProbe',
  input: z.object({
    Declarations: z.array(z.looseObject({ name: z.string(), type: z.enum(['String', 'StringList', 'Integer', 'Boolean', 'MapList', 'StringMap']) })),
    Parameters: z.record(z.string(), z.array(z.string())).optional(),
    Content: z.unknown().optional(),
  }),
  sensitive: ['Parameters'],
  handler: async (i, call) => {
    const { values, secret } = await prepareParameters(call, i.Declarations as ParameterDeclaration[], i.Parameters ?? {});
    const interpolated = i.Content === undefined ? null : interpolate(i.Content, values);
    return {
      Values: values,
      Secret: [...secret].sort(),
      Redacted: redactSecrets(values, secret),
      Interpolated: interpolated,
      Shown: i.Content === undefined ? null : interpolate(i.Content, redactSecrets(values, secret)),
      Scrubbed: scrubSecrets(interpolated, values, secret),
    };
  },
});

export interface ProbeAnswer {
  status: number;
  body: {
    Values: Record<string, unknown>;
    Secret: string[];
    Redacted: Record<string, unknown>;
    Interpolated: unknown;
    Shown: unknown;
    Scrubbed: unknown;
    __type?: string;
    Message?: string;
    message?: string;
  };
  text: string;
}

export async function callProbe(t: TestServer, input: { Declarations: object[]; Parameters?: Record<string, string[]>; Content?: unknown }, credentials = t.credentials): Promise<ProbeAnswer> {
  const res = await rawCall({ endpoint: t.endpoint, service: 'ssm', credentials, headers: jsonHeaders('AmazonSSM.CapstanResolveProbe'), body: JSON.stringify(input) });
  return { status: res.status, body: res.json() as ProbeAnswer['body'], text: res.text };
}
