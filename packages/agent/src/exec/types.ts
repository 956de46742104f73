import type { CommandPayload, DocumentStatus, InventoryItem, PatchReportMessage, StepResult } from '@capstan/wire';
import type { OutputSink } from './output.js';

export type PlatformType = 'Linux' | 'Windows' | 'MacOS';

export interface ExecutionRequest {
  /** The invocation id (= command id). */
  id: string;
  /** The document already has its parameters substituted. */
  payload: CommandPayload;
  /** Per-invocation orchestration dir; exists; the executor owns its contents (state.json, step dirs). */
  workDir: string;
  instanceId: string;
  platformType: PlatformType;
  /** Extra environment for scripts. */
  env?: Record<string, string>;
  /** Run scripts as this user instead of the agent's user. */
  runAsUser?: string;
  /** Aborted = CancelCommand: running process groups get SIGKILL, the rest is Cancelled. */
  signal: AbortSignal;
  /** Live output, in order, every byte exactly once; offset = byte offset in that step's stream. */
  onOutput(step: string, stream: 'stdout' | 'stderr', chunk: Buffer, offset: number): void;
  /** Each step as it ends, including Skipped and Cancelled ones. */
  onStep(result: StepResult): void;
  /** Continue a document after a reboot or a crash (reads workDir/state.json). */
  resume?: boolean;
  /** aws:softwareInventory's report to the server (durably queued; the agent's outbox). */
  onInventory?(items: InventoryItem[]): void;
  /** The agent's state directory: inventory hashes and custom inventory live under it. */
  stateDir?: string;
  /** aws:runPatchBaseline's report to the server (durably queued; the agent's outbox). */
  onPatchReport?(report: PatchReport): void;
}

/** A patch-report message before the outbox gives it its reply id. */
export type PatchReport = Omit<PatchReportMessage, 'type' | 'replyId'>;

export interface ExecutionOutcome {
  status: DocumentStatus;
  steps: StepResult[];
  reboot: boolean;
  details?: string;
}

export interface ParsedStep {
  name: string;
  action: string;
  inputs: Record<string, unknown>;
  precondition?: unknown;
  /** Step-level `timeoutSeconds` (2.x), used when inputs has none. */
  timeoutSeconds?: unknown;
  /** Directory name under the document's orchestration dir: unique and filesystem-safe. */
  dir: string;
}

export interface ParsedDocument {
  schemaVersion: string;
  preconditionsEnabled: boolean;
  steps: ParsedStep[];
}

/** What a plugin may report; 168/169 and onFailure/onSuccess are applied one level up. */
export interface PluginResult {
  status: 'Success' | 'Failed' | 'TimedOut' | 'Cancelled' | 'SuccessAndReboot';
  code: number;
  details?: string;
}

/** Everything about the invocation that does not change from step to step or with nesting depth. */
export interface RunEnvironment {
  payload: CommandPayload;
  instanceId: string;
  platformType: PlatformType;
  /** The agent's environment + request env + SSM_* variables. */
  env: Record<string, string>;
  runAs?: { uid: number; gid: number };
  /** `<workDir>/downloads`: shared by nested documents so relative paths mean the same everywhere. */
  downloadsDir: string;
  signal: AbortSignal;
  /** 0 for the command's own document, +1 per aws:runDocument. */
  depth: number;
  /** aws:softwareInventory's report to the server; absent where nothing receives it. */
  reportInventory?(items: InventoryItem[]): void;
  stateDir?: string;
  /** aws:runPatchBaseline's report to the server; absent where nothing receives it. */
  reportPatches?(report: PatchReport): void;
}

export interface StepContext {
  step: ParsedStep;
  stepDir: string;
  sink: OutputSink;
  run: RunEnvironment;
}

export type Plugin = (ctx: StepContext) => Promise<PluginResult>;

/** A plugin stopped from outside (timeout, cancel) reports what AWS's agent does for a killed group. */
export const KILLED_EXIT_CODE = 137;
