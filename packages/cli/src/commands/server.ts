import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, type RunningServer } from '@capstan/server';
import { startLocalAgent } from '../local-agent.js';

export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new Error(`--listen must be HOST:PORT, e.g. 127.0.0.1:9700 (got ${text})`);
  return { host: (m[1] ?? m[2])!, port };
}

/** OutputS3BucketName support: any S3-compatible store, configured only by the environment (its secret never on a command line). */
function s3FromEnv(env: NodeJS.ProcessEnv) {
  if (!env.CAPSTAN_S3_ENDPOINT) return {};
  const { CAPSTAN_S3_ACCESS_KEY_ID: accessKeyId, CAPSTAN_S3_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) throw new Error('CAPSTAN_S3_ENDPOINT needs CAPSTAN_S3_ACCESS_KEY_ID and CAPSTAN_S3_SECRET_ACCESS_KEY');
  return { s3: { endpoint: env.CAPSTAN_S3_ENDPOINT, region: env.CAPSTAN_S3_REGION ?? 'us-east-1', accessKeyId, secretAccessKey } };
}

function tls(opts: { tlsCert?: string; tlsKey?: string }) {
  if (!opts.tlsCert && !opts.tlsKey) return {};
  if (!opts.tlsCert || !opts.tlsKey) throw new Error('--tls-cert and --tls-key go together');
  return { tls: { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } };
}

interface ServeOptions {
  dataDir: string;
  listen: string;
  database?: string;
  trustProxy?: boolean;
  tlsCert?: string;
  tlsKey?: string;
}

async function serve(opts: ServeOptions, banner: boolean, localAgent = false): Promise<RunningServer> {
  const { host, port } = parseListen(opts.listen);
  const env = process.env;
  const server = await startServer({
    dataDir: resolve(opts.dataDir),
    host,
    port,
    ...(opts.database ? { databaseUrl: opts.database } : {}),
    ...(opts.trustProxy ? { trustProxy: true } : {}),
    ...(env.CAPSTAN_PUBLIC_URL ? { publicUrl: env.CAPSTAN_PUBLIC_URL } : {}),
    ...s3FromEnv(env),
    ...tls(opts),
    rootKey: env.CAPSTAN_ROOT_KEY ? { value: env.CAPSTAN_ROOT_KEY } : { file: env.CAPSTAN_ROOT_KEY_FILE ?? resolve(opts.dataDir, 'root.key') },
    admin: {
      ...(env.CAPSTAN_ADMIN_ACCOUNT_ID ? { accountId: env.CAPSTAN_ADMIN_ACCOUNT_ID } : {}),
      ...(env.CAPSTAN_ADMIN_ACCESS_KEY_ID ? { accessKeyId: env.CAPSTAN_ADMIN_ACCESS_KEY_ID } : {}),
      ...(env.CAPSTAN_ADMIN_SECRET_ACCESS_KEY ? { secretAccessKey: env.CAPSTAN_ADMIN_SECRET_ACCESS_KEY } : {}),
    },
  });
  const dir = resolve(opts.dataDir);
  console.log(`Capstan is serving at ${server.url} (${opts.database ? 'PostgreSQL' : `SQLite in ${dir}`}).`);
  if (banner) {
    console.log('');
    console.log('Use it with the AWS CLI:');
    console.log(`  export AWS_SHARED_CREDENTIALS_FILE=${dir}/credentials AWS_CONFIG_FILE=${dir}/config`);
    console.log(`  aws sts get-caller-identity --endpoint-url ${server.url}`);
  }
  let agent: { stop: () => void } | undefined;
  const stop = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    agent?.stop();
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  if (localAgent) {
    try {
      const local = await startLocalAgent(server, dir);
      agent = local;
      console.log(`Local agent: managed node ${local.instanceId} (state in ${dir}/agent)`);
      console.log(`  aws ssm describe-instance-information --endpoint-url ${server.url}`);
    } catch (e) {
      // The server is still useful without its local node; say why it is missing.
      console.error(`Local agent not started: ${(e as Error).message}`);
    }
  }
  return server;
}

export function registerServerCommands(program: Command): void {
  program
    .command('server')
    .description('run a Capstan server')
    .option('--data-dir <dir>', 'where the server keeps its SQLite database, root key and admin credentials', 'data')
    .option('--listen <host:port>', 'address to listen on', process.env.CAPSTAN_LISTEN ?? '127.0.0.1:9700')
    .option('--database <url>', 'postgres://… to share one PostgreSQL between replicas (default: embedded SQLite)')
    .option('--trust-proxy', 'take client addresses from X-Forwarded-For (only behind a load balancer)')
    .option('--tls-cert <pem>', 'serve HTTPS with this certificate chain (agents then use wss://)')
    .option('--tls-key <pem>', 'the private key of --tls-cert')
    .action(async (opts: ServeOptions) => {
      await serve(opts, false);
    });

  program
    .command('start')
    .description('start a local server on SQLite in ./data with this machine as its first managed node, and print how to use it')
    .option('--data-dir <dir>', 'data directory', 'data')
    .option('--listen <host:port>', 'address to listen on', process.env.CAPSTAN_LISTEN ?? '127.0.0.1:9700')
    .action(async (opts: ServeOptions) => {
      await serve(opts, true, true);
    });
}
