import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface ClientOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
  dataDir?: string;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:9700';

/**
 * How the CLI reaches a server: the endpoint from --endpoint or CAPSTAN_ENDPOINT, credentials
 * from the AWS SDK's usual chain (environment, profiles), falling back to the credentials file
 * a local server wrote into its data directory.
 */
export function resolveClientConfig(opts: ClientOptions): { endpoint: string; region: string } {
  const dataDir = opts.dataDir ?? 'data';
  if (!process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_SHARED_CREDENTIALS_FILE && !opts.profile && existsSync(join(dataDir, 'credentials'))) {
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dataDir, 'credentials');
  }
  if (opts.profile) process.env.AWS_PROFILE = opts.profile;
  return {
    endpoint: opts.endpoint ?? process.env.CAPSTAN_ENDPOINT ?? DEFAULT_ENDPOINT,
    region: opts.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
  };
}

export function withClientOptions<T extends { option: (flags: string, description: string) => T }>(cmd: T): T {
  return cmd
    .option('--endpoint <url>', `server endpoint (default $CAPSTAN_ENDPOINT or ${DEFAULT_ENDPOINT})`)
    .option('--region <region>', 'region (default $AWS_REGION or us-east-1)')
    .option('--profile <name>', 'AWS profile holding the credentials')
    .option('--data-dir <dir>', 'data directory of a local server, whose credentials file is used when no other credentials are set');
}
