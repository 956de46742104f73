import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const INSTALL_SCRIPT_PATH = '/capstan/agent/v1/install.sh';
export const DOWNLOAD_PATH = '/capstan/agent/v1/download';

const SCRIPT = { file: 'install-agent.sh', type: 'text/x-shellscript; charset=utf-8' };

/**
 * The builds, by the name in the URL: the file of that name in the artifact directory
 * (`npm run build:agent` writes them). Nothing else is served, so no request names a path.
 */
const BUILDS: ReadonlyMap<string, string> = new Map([
  ['capstan-agent.mjs', 'text/javascript; charset=utf-8'],
  ['capstan-agent-linux-x64', 'application/octet-stream'],
  ['capstan-agent-linux-arm64', 'application/octet-stream'],
  // node-pty's native addon, for interactive shells: install-agent.sh places it beside the agent.
  ['capstan-agent-pty-linux-x64.node', 'application/octet-stream'],
  ['capstan-agent-pty-linux-arm64.node', 'application/octet-stream'],
  ['SHA256SUMS', 'text/plain; charset=utf-8'],
]);

/** `CAPSTAN_AGENT_DIST`, else the repository's `dist/agent`, where `npm run build:agent` puts the build. */
export function agentDistDir(): string {
  return process.env.CAPSTAN_AGENT_DIST || fileURLToPath(new URL('../../../../dist/agent/', import.meta.url));
}

/**
 * The agent's installer and builds, for `curl -fsSL https://SERVER/capstan/agent/v1/install.sh | sudo sh -s -- …`.
 * Unauthenticated like registration: the builds hold no secret, the activation code is the secret.
 * Files are read at each request, so a rebuild is served without a restart.
 */
export function attachAgentDownloads(app: FastifyInstance, dir = agentDistDir()): void {
  const serve = async (name: string, artifact: { file: string; type: string } | undefined, reply: FastifyReply) => {
    if (!artifact) return reply.code(404).send({ error: `no agent download is named ${name.slice(0, 100)}` });
    // Opened before its size is read: a rebuild replacing the file cannot make the two disagree.
    const file = await open(join(dir, artifact.file)).catch(() => undefined);
    const stat = await file?.stat().catch(() => undefined);
    if (!file || !stat?.isFile()) {
      await file?.close();
      return reply.code(404).send({ error: `${name} is not built on this server: run \`npm run build:agent\` (artifacts are looked for in CAPSTAN_AGENT_DIST or dist/agent)` });
    }
    return reply.code(200).header('content-type', artifact.type).header('content-length', stat.size).header('cache-control', 'no-cache').send(file.createReadStream());
  };
  app.get(INSTALL_SCRIPT_PATH, (_req, reply) => serve('install.sh', SCRIPT, reply));
  app.get(`${DOWNLOAD_PATH}/:name`, (req, reply) => {
    const { name } = req.params as { name: string };
    const type = BUILDS.get(name);
    return serve(name, type ? { file: name, type } : undefined, reply);
  });
}
