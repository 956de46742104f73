import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from '../document.js';
import { runSteps } from '../engine.js';
import { aggregateStatus } from '../flow.js';
import { resolveParameters, substituteDocument } from '../substitute.js';
import { parseDocumentText } from '../text.js';
import { KILLED_EXIT_CODE, type Plugin, type PluginResult, type StepContext } from '../types.js';
import { objectInput, optionalString, underDownloads } from './inputs.js';

/** AWS's limit on aws:runDocument inside aws:runDocument. */
const MAX_DEPTH = 3;

/**
 * Runs another document as one step: its steps run in `<stepDir>/nested/` and write into this
 * step's output streams; the step's status is the nested document's.
 */
export const runDocument: Plugin = async (ctx) => {
  const failed = (details: string): PluginResult => ({ status: 'Failed', code: 1, details });
  const depth = ctx.run.depth + 1;
  if (depth > MAX_DEPTH) return failed(`aws:runDocument may nest at most ${MAX_DEPTH} documents deep`);
  let document: unknown;
  let where: string;
  try {
    ({ document, where } = await loadDocument(ctx));
    document = substituteDocument(document, resolveParameters(document, objectInput(ctx.step.inputs, 'documentParameters')));
  } catch (e) {
    return failed((e as Error).message);
  }
  const doc = parseDocument(document);
  if ('error' in doc) return failed(`${where}: ${doc.error}`);

  const { results } = await runSteps({
    doc,
    docDir: join(ctx.stepDir, 'nested'),
    run: { ...ctx.run, depth },
    canReboot: false,
    openSink: async () => ctx.sink,
    closeSink: async () => {},
  });
  const summary = results.map((r) => `${r.name}: ${r.status}${r.code >= 0 ? ` (${r.code})` : ''}`).join(', ');
  const details = `${where} ran: ${summary || 'no steps'}`;
  const status = aggregateStatus(results);
  switch (status) {
    case 'Success':
      return { status: 'Success', code: 0, details };
    case 'TimedOut':
    case 'Cancelled':
      return { status, code: KILLED_EXIT_CODE, details };
    default:
      return { status: 'Failed', code: 1, details };
  }
};

async function loadDocument(ctx: StepContext): Promise<{ document: unknown; where: string }> {
  const type = optionalString(ctx.step.inputs, 'documentType') ?? 'SSMDocument';
  let path = optionalString(ctx.step.inputs, 'documentPath');
  // AWS-RunDocument downloads one document and runs it with an empty LocalPath: the file fetched.
  if (!path && type.toLowerCase() === 'localpath') {
    const files = (await readdir(ctx.run.downloadsDir, { withFileTypes: true }).catch(() => [])).filter((f) => f.isFile());
    if (files.length !== 1) throw new Error(`documentPath is empty and ${ctx.run.downloadsDir} holds ${files.length} files, not one: name the document to run`);
    path = files[0]!.name;
  }
  if (!path) throw new Error('input documentPath is required');
  switch (type.toLowerCase()) {
    case 'ssmdocument': {
      const entry = ctx.run.payload.documents?.[path];
      if (!entry) throw new Error(`document ${path} was not sent with the command`);
      const document = entry.content ?? (await parseDocumentText(entry.text, `document ${path}`));
      return { document, where: `document ${path}` };
    }
    case 'localpath': {
      const file = underDownloads(ctx.run.downloadsDir, path);
      const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
        throw new Error(`cannot read ${file}: ${e.code ?? e.message}`);
      });
      return { document: await parseDocumentText(text, file), where: file };
    }
    default:
      throw new Error(`documentType ${type} is not supported (SSMDocument or LocalPath)`);
  }
}
