import type { FastifyInstance } from 'fastify';
import type { Core } from '../protocol/context.js';
import { runCall } from '../protocol/pipeline.js';
import { SSM } from '../protocol/services.js';

export const OUTPUT_PATH = '/capstan/v1/output';
/** `StandardOutputUrl` for the step at `index` of an invocation. */
export const outputPath = (commandId: string, instanceId: string, index: number, stream: string) => `${OUTPUT_PATH}/${commandId}/${instanceId}/${index}/${stream}`;

/**
 * `StandardOutputUrl`/`StandardErrorUrl`: a GET of a step's whole stream, signed with SigV4 like
 * any call (`curl --aws-sigv4 aws:amz:REGION:ssm`), and authorized as GetCommandInvocation.
 */
export function attachOutputEndpoint(app: FastifyInstance, core: Core): void {
  app.get(`${OUTPUT_PATH}/:commandId/:instanceId/:step/:stream`, async (req, reply) => {
    const p = req.params as { commandId: string; instanceId: string; step: string; stream: string };
    const op = core.registry.byJsonTarget('AmazonSSM.CapstanGetCommandOutput');
    if (!op) return reply.code(404).send();
    const url = req.raw.url ?? '/';
    const q = url.indexOf('?');
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const offset = query.has('offset') ? Number(query.get('offset')) : undefined;
    const ua = req.headers['user-agent'];
    const parts: Buffer[] = [];
    let at = offset ?? 0;
    for (;;) {
      const outcome = await runCall(core, {
        service: SSM,
        op,
        signed: { method: 'GET', path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers: req.headers, body: Buffer.alloc(0) },
        sourceIp: (req.socket.remoteAddress ?? '').replace(/^::ffff:/, ''),
        userAgent: typeof ua === 'string' ? ua : '',
        secureTransport: 'encrypted' in req.socket && Boolean((req.socket as { encrypted?: boolean }).encrypted),
        // Steps are numbered in the URL: their names hold colons, which SigV4 clients encode differently.
        decodeInput: () => ({ CommandId: p.commandId, InstanceId: p.instanceId, ...(/^\d+$/.test(p.step) ? { StepIndex: Number(p.step) } : { PluginName: p.step }), Stream: p.stream, Offset: at, MaxBytes: 8 * 1024 * 1024 }),
      });
      if ('error' in outcome) {
        const e = outcome.error;
        return reply.code(e.status).header('content-type', 'application/json').send({ __type: e.code, message: e.message });
      }
      const out = outcome.output as { Data: Buffer; NextOffset: number; TotalBytes: number };
      parts.push(out.Data);
      if (out.Data.length === 0 || out.NextOffset >= out.TotalBytes) break;
      at = out.NextOffset;
    }
    return reply.code(200).header('content-type', 'text/plain; charset=utf-8').send(Buffer.concat(parts));
  });
}
