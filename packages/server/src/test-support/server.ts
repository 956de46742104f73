import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../server.js';
import { freshSchema } from './postgres.js';

export interface TestServer {
  server: RunningServer;
  endpoint: string;
  accountId: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  dataDir: string;
  /** AWS SDK client configuration for this server. */
  clientConfig(overrides?: { region?: string; credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } }): {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
    maxAttempts: number;
  };
  stop(): Promise<void>;
}

export type Engine = 'sqlite' | 'postgres';

/** Starts a real server on a free loopback port with a known admin key. */
export async function startTestServer(options: Partial<ServerOptions> & { engine?: Engine } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'capstan-test-'));
  const pgSchema = options.engine === 'postgres' ? await freshSchema() : undefined;
  const credentials = { accessKeyId: 'AKIATESTADMIN0000001', secretAccessKey: 'test-secret-key-that-is-long-enough-0000' };
  const accountId = options.admin?.accountId ?? '111122223333';
  const server = await startServer({
    log: () => {},
    ...options,
    dataDir,
    port: 0,
    ...(pgSchema ? { databaseUrl: pgSchema.url } : {}),
    admin: { accountId, ...credentials, ...options.admin },
  });
  return {
    server,
    endpoint: server.url,
    accountId,
    credentials,
    dataDir,
    clientConfig: (o = {}) => ({ endpoint: server.url, region: o.region ?? 'us-east-1', credentials: o.credentials ?? credentials, maxAttempts: 1 }),
    async stop() {
      await server.close();
      await pgSchema?.drop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
