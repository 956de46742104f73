import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startServer, type RunningServer } from '@capstan/server';
import { isLoopbackHost } from '@capstan/wire';
import { startLocalAgent } from '../local-agent.js';
import { disableCoreDumps } from './core-dumps.js';
import { loadOrCreateCertificate, type ServerCertificate } from './self-signed.js';

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

/** Incident Manager's pages: the SMTP server for email and the SMS/voice gateways, from the environment only (the SMTP password never on a command line). */
function incidentNotificationsFromEnv(env: NodeJS.ProcessEnv) {
  const smtp = env.CAPSTAN_SMTP_HOST
    ? {
        host: env.CAPSTAN_SMTP_HOST,
        port: Number(env.CAPSTAN_SMTP_PORT ?? (env.CAPSTAN_SMTP_SECURE === 'true' ? 465 : 587)),
        secure: env.CAPSTAN_SMTP_SECURE === 'true',
        ...(env.CAPSTAN_SMTP_USER ? { user: env.CAPSTAN_SMTP_USER, pass: env.CAPSTAN_SMTP_PASSWORD ?? '' } : {}),
        from: env.CAPSTAN_SMTP_FROM ?? `Capstan Incident Manager <capstan@${env.CAPSTAN_SMTP_HOST}>`,
      }
    : undefined;
  if (smtp && (!Number.isInteger(smtp.port) || smtp.port < 1 || smtp.port > 65535)) throw new Error(`CAPSTAN_SMTP_PORT must be a port number (got ${env.CAPSTAN_SMTP_PORT})`);
  const sms = env.CAPSTAN_SMS_WEBHOOK_URL;
  const voice = env.CAPSTAN_VOICE_WEBHOOK_URL;
  if (!smtp && !sms && !voice) return {};
  return { incidentNotifications: { ...(smtp ? { smtp } : {}), ...(sms ? { smsWebhookUrl: sms } : {}), ...(voice ? { voiceWebhookUrl: voice } : {}) } };
}

/** The advertised URL: where clients and agents reach this very replica (session streams, output links). */
function checkPublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`--public-url must be a URL such as https://capstan-2.example.net:9700 (got ${text})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--public-url must be http(s):// (got ${text})`);
  return url.origin;
}

/** PostgreSQL connections per replica (10): N replicas use N × this, plus one each for the cluster bus. */
function poolSize(env: NodeJS.ProcessEnv): { databasePoolSize?: number } {
  const v = env.CAPSTAN_DATABASE_POOL_SIZE;
  if (v === undefined || v === '') return {};
  const n = Number(v);
  if (!Number.isInteger(n) || n < 2 || n > 1000) throw new Error(`CAPSTAN_DATABASE_POOL_SIZE must be a whole number from 2 to 1000 (got ${v})`);
  return { databasePoolSize: n };
}

/** Timings of a replica set, for operators who need faster take-over than the defaults (and for tests). */
function clusterTuning(env: NodeJS.ProcessEnv) {
  const ms = (name: string, min: number): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of milliseconds, at least ${min} (got ${v})`);
    return n;
  };
  const lease = ms('CAPSTAN_JOB_LEASE_MS', 1_000);
  const heartbeat = ms('CAPSTAN_REPLICA_HEARTBEAT_MS', 100);
  const deadAfter = ms('CAPSTAN_REPLICA_DEAD_AFTER_MS', 500);
  const ping = ms('CAPSTAN_AGENT_PING_MS', 1_000);
  const resume = ms('CAPSTAN_SESSION_RESUME_WINDOW_MS', 1_000);
  if (heartbeat !== undefined && deadAfter !== undefined && deadAfter < 3 * heartbeat) throw new Error('CAPSTAN_REPLICA_DEAD_AFTER_MS must be at least three heartbeats (CAPSTAN_REPLICA_HEARTBEAT_MS)');
  return {
    ...(lease !== undefined ? { schedulerLeaseMs: lease } : {}),
    ...(heartbeat !== undefined ? { replicaHeartbeatMs: heartbeat } : {}),
    ...(deadAfter !== undefined ? { replicaDeadAfterMs: deadAfter } : {}),
    ...(ping !== undefined ? { agentPingMs: ping } : {}),
    ...(resume !== undefined ? { sessionResumeWindowMs: resume } : {}),
  };
}

/**
 * HTTPS whenever the server can be reached from another machine: the operator's certificate, or
 * else a self-signed one kept in the data directory. Plain HTTP beyond loopback only on request
 * (`--insecure-http`), for a proxy in front that terminates TLS.
 */
function tls(opts: { tlsCert?: string; tlsKey?: string; insecureHttp?: boolean }, host: string, dataDir: string): { tls?: { cert: Buffer; key: Buffer }; selfSigned?: ServerCertificate } {
  if (opts.tlsCert || opts.tlsKey) {
    if (!opts.tlsCert || !opts.tlsKey) throw new Error('--tls-cert and --tls-key go together');
    if (opts.insecureHttp) throw new Error('--insecure-http and --tls-cert/--tls-key contradict each other');
    return { tls: { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } };
  }
  if (isLoopbackHost(host) || opts.insecureHttp) return {};
  const selfSigned = loadOrCreateCertificate(dataDir, [host]);
  return { tls: { cert: selfSigned.cert, key: selfSigned.key }, selfSigned };
}

interface ServeOptions {
  dataDir: string;
  listen: string;
  database?: string;
  publicUrl?: string;
  trustProxy?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
}

async function serve(opts: ServeOptions, banner: boolean, localAgent = false): Promise<RunningServer> {
  const { host, port } = parseListen(opts.listen);
  const env = process.env;
  // Before any secret is in memory.
  const coreDumps = disableCoreDumps(env);
  const transport = tls(opts, host, resolve(opts.dataDir));
  const server = await startServer({
    dataDir: resolve(opts.dataDir),
    host,
    port,
    ...(opts.database ? { databaseUrl: opts.database, ...poolSize(env) } : {}),
    ...(opts.trustProxy ? { trustProxy: true } : {}),
    ...(opts.publicUrl || env.CAPSTAN_PUBLIC_URL ? { publicUrl: checkPublicUrl(opts.publicUrl ?? env.CAPSTAN_PUBLIC_URL!) } : {}),
    ...clusterTuning(env),
    ...s3FromEnv(env),
    ...incidentNotificationsFromEnv(env),
    ...(transport.tls ? { tls: transport.tls } : {}),
    rootKey: env.CAPSTAN_ROOT_KEY ? { value: env.CAPSTAN_ROOT_KEY } : { file: env.CAPSTAN_ROOT_KEY_FILE ?? resolve(opts.dataDir, 'root.key') },
    admin: {
      ...(env.CAPSTAN_ADMIN_ACCOUNT_ID ? { accountId: env.CAPSTAN_ADMIN_ACCOUNT_ID } : {}),
      ...(env.CAPSTAN_ADMIN_ACCESS_KEY_ID ? { accessKeyId: env.CAPSTAN_ADMIN_ACCESS_KEY_ID } : {}),
      ...(env.CAPSTAN_ADMIN_SECRET_ACCESS_KEY ? { secretAccessKey: env.CAPSTAN_ADMIN_SECRET_ACCESS_KEY } : {}),
    },
  });
  const dir = resolve(opts.dataDir);
  if (opts.database && !opts.publicUrl && !env.CAPSTAN_PUBLIC_URL) {
    // Session streams and agent session sockets are sent to this address: it must be this replica's own.
    console.warn(`warning: no --public-url: clients and agents will be sent to ${server.url} for sessions; give each replica the URL at which it is reached directly (docs/replicas.md)`);
  }
  console.log(`Capstan is serving at ${server.url} (${opts.database ? 'PostgreSQL' : `SQLite in ${dir}`}).`);
  if (coreDumps === 'unavailable' && process.platform === 'linux') {
    console.warn('warning: core dumps could not be turned off (prlimit not found): a crash may write secrets held in memory to disk; set the core limit to 0 where the server is started (systemd: LimitCORE=0)');
  }
  if (transport.selfSigned) {
    const c = transport.selfSigned;
    console.log(`TLS: ${host} is not loopback and no --tls-cert was given, so HTTPS uses the self-signed certificate ${c.certFile} (${c.created ? 'made now' : 'made on the first start'}).`);
    console.log(`  SHA-256 fingerprint: ${c.fingerprint256}`);
    console.log(`  Agents: capstan agent register --endpoint https://<this host>:${port} --pin-sha256 ${c.fingerprint256} ...`);
    console.log(`  AWS CLI and SDKs: export AWS_CA_BUNDLE=${c.certFile}`);
  } else if (opts.insecureHttp && !isLoopbackHost(host)) {
    console.warn(`warning: --insecure-http: plain HTTP on ${host}; decrypted SecureStrings, command output and session bytes cross the network unencrypted unless a proxy in front terminates TLS`);
  }
  if (banner) {
    console.log('');
    console.log('Use it with the AWS CLI:');
    console.log(`  export AWS_SHARED_CREDENTIALS_FILE=${dir}/credentials AWS_CONFIG_FILE=${dir}/config`);
    console.log(`  aws sts get-caller-identity --endpoint-url ${server.url}`);
    console.log('');
    console.log(`Or open the console at ${server.url}/console/ and sign in with the access key in ${dir}/credentials.`);
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
      // The local agent trusts exactly the server's own self-signed certificate, as a pinned remote agent would.
      const local = await startLocalAgent(server, dir, transport.selfSigned ? { pinSha256: transport.selfSigned.fingerprint256 } : undefined);
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
    .option('--public-url <url>', "this replica's own URL as clients and agents reach it, not the load balancer's (session streams are relayed here; default: CAPSTAN_PUBLIC_URL, else the listening address)")
    .option('--trust-proxy', 'take client addresses from X-Forwarded-For (only behind a load balancer)')
    .option('--tls-cert <pem>', 'serve HTTPS with this certificate chain (agents then use wss://)')
    .option('--tls-key <pem>', 'the private key of --tls-cert')
    .option('--insecure-http', 'serve plain HTTP on a non-loopback --listen address, for a proxy in front that terminates TLS (without it, such an address gets HTTPS with a self-signed certificate kept in the data directory)')
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
