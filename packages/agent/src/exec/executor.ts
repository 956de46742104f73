import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from './document.js';
import { runSteps } from './engine.js';
import { baseEnvironment, lookupUser } from './env.js';
import { aggregateStatus } from './flow.js';
import { OutputSink, previewFiles } from './output.js';
import { loadState, saveState, type ExecState } from './state.js';
import { parseDocumentText } from './text.js';
import type { ExecutionOutcome, ExecutionRequest, ParsedDocument } from './types.js';

export const CRASHED_DETAILS = 'the agent stopped while this step ran';

/**
 * Runs one Run Command invocation. Each step's start and end is recorded in `state.json` first,
 * so after a crash a step that may have run is reported Failed rather than run twice, and after
 * a reboot the step that asked for it runs again and the document continues.
 */
export async function executeDocument(req: ExecutionRequest): Promise<ExecutionOutcome> {
  const failed = (details: string): ExecutionOutcome => ({ status: 'Failed', steps: [], reboot: false, details });
  let doc: ParsedDocument | { error: string };
  try {
    const raw = req.payload.document;
    doc = parseDocument(typeof raw === 'string' ? await parseDocumentText(raw, 'the document') : raw);
  } catch (e) {
    return failed((e as Error).message);
  }
  if ('error' in doc) return failed(doc.error);
  const names = doc.steps.map((s) => s.name);

  let state: ExecState | undefined;
  try {
    state = req.resume ? loadState(req.workDir) : undefined;
  } catch (e) {
    return failed((e as Error).message);
  }
  if (state && (state.id !== req.id || state.steps.join('\n') !== names.join('\n'))) return failed('state.json in the work directory belongs to another document');
  if (state?.done) return { status: state.done.status, steps: state.results.filter((r) => r !== null), reboot: false };
  const st: ExecState = state ?? { version: 1, id: req.id, steps: names, results: names.map(() => null), stopped: false };
  const rerun = st.rebootAt;

  let runAs: { uid: number; gid: number } | undefined;
  try {
    runAs = req.runAsUser ? await lookupUser(req.runAsUser) : undefined;
  } catch (e) {
    return failed((e as Error).message);
  }
  const downloadsDir = join(req.workDir, 'downloads');
  await mkdir(downloadsDir, { recursive: true });
  saveState(req.workDir, st);

  const { results, rebootAt } = await runSteps({
    doc,
    docDir: req.workDir,
    canReboot: true,
    run: {
      payload: req.payload,
      instanceId: req.instanceId,
      platformType: req.platformType,
      env: baseEnvironment(req.env, { commandId: req.payload.commandId || req.id, instanceId: req.instanceId, region: req.payload.region }),
      ...(runAs ? { runAs } : {}),
      downloadsDir,
      signal: req.signal,
      depth: 0,
      ...(req.onInventory ? { reportInventory: req.onInventory } : {}),
      ...(req.stateDir ? { stateDir: req.stateDir } : {}),
      ...(req.onPatchReport ? { reportPatches: req.onPatchReport } : {}),
    },
    // A rerun after a reboot continues the step's output, so offsets never go back.
    openSink: (step, i, dir) => OutputSink.open(dir, step.name, req.onOutput, i === rerun),
    closeSink: (sink) => sink.close(),
    prior: async (i, dir) => {
      const r = st.results[i];
      if (!r || i === rerun || r.status === 'SuccessAndReboot') return undefined;
      if (r.status !== 'InProgress') return { keep: r };
      return { crashed: { ...r, ...(await previewFiles(dir)), status: 'Failed', code: 1, endedAt: Date.now(), details: CRASHED_DETAILS } };
    },
    stopped: st.stopped,
    onStart: (i, r) => {
      st.results[i] = r;
      delete st.rebootAt;
      saveState(req.workDir, st);
    },
    onEnd: (i, r, stopped) => {
      st.results[i] = r;
      st.stopped = stopped;
      if (r.status === 'SuccessAndReboot') st.rebootAt = i;
      saveState(req.workDir, st);
      req.onStep(r);
    },
  });
  if (rebootAt !== undefined) return { status: 'SuccessAndReboot', steps: results, reboot: true };
  const status = aggregateStatus(results);
  st.done = { status };
  saveState(req.workDir, st);
  return { status, steps: results, reboot: false };
}
