/**
 * Work sent to a node over the control channel, and what the node sends back. A job is a row on
 * the server before it is a message; the agent acknowledges it once it is on the node's disk, and
 * every reply stays in the agent's outbox until the server acknowledges it. Both sides are
 * idempotent: a job is run at most once per id, a reply is applied at most once per replyId.
 */

import type { PatchBaselineSnapshot, PatchReportMessage } from './patching.js';

/** Server → agent: run something. Re-sent after every reconnect until acknowledged. */
export interface JobMessage {
  type: 'job';
  /** The delivery id: unique per node. For Run Command, the command id. */
  id: string;
  kind: 'command' | 'cancel';
  payload: CommandPayload | CancelPayload;
}

/** What one Run Command invocation runs: the document with every parameter already substituted. */
export interface CommandPayload {
  commandId: string;
  documentName: string;
  documentVersion: string;
  /** The document's content, parsed, parameters substituted (`{{ name }}` and `{{ssm:…}}`). */
  document: unknown;
  /**
   * Documents that `aws:runDocument` (documentType SSMDocument) and `aws:downloadContent`
   * (sourceType SSMDocument) name, resolved by the server with the sender's permissions: keyed by
   * the name (and `name:version` when a version was given) as the step names it.
   */
  documents?: Record<string, { content: unknown; format: 'JSON' | 'YAML' | 'TEXT'; text: string }>;
  region: string;
  outputS3BucketName?: string;
  outputS3KeyPrefix?: string;
  /** Clock ms: a job received after this is not started (delivery timed out). */
  expiresAt: number;
  /** The node's patch baseline, resolved by the server when the document has an `aws:runPatchBaseline` step. */
  patchBaseline?: PatchBaselineSnapshot;
  /** Distributor packages that `aws:configurePackage` steps name, resolved by the server: keyed by the step's `name` input (an `aws:updateSsmAgent` step's release under AGENT_PACKAGE). */
  packages?: Record<string, PackageBundle>;
}

/** The Distributor package whose versions are agent releases; `aws:updateSsmAgent` steps install from it. */
export const AGENT_PACKAGE = 'Capstan-Agent';

/** One package version as the server resolved it for a node, or why it could not. */
export type PackageBundle =
  | {
      name: string;
      /** The package document's version name (the manifest's `version`). */
      version: string;
      /** The package document version's content hash: the same name and version with another hash is another build. */
      hash: string;
      /** The manifest (schema 2.0), parsed. */
      manifest: unknown;
      /** Each of the manifest's files: its SHA-256, size and a short-lived URL on the server, good for this node only. */
      files: Record<string, { sha256: string; size: number; url: string }>;
    }
  | { name: string; error: string };

/** Server → agent: stop the named job's running steps and skip the rest. */
export interface CancelPayload {
  commandId: string;
}

/** Agent → server, once the job is persisted on the node (or refused). */
export interface AckMessage {
  type: 'ack';
  id: string;
  /** accepted: will run; duplicate: already seen, not run again; invalid: cannot be run. */
  status: 'accepted' | 'duplicate' | 'invalid';
  message?: string;
}

export type StepStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled' | 'Skipped' | 'SuccessAndReboot';
export type DocumentStatus = 'InProgress' | 'Success' | 'Failed' | 'TimedOut' | 'Cancelled' | 'SuccessAndReboot';

export interface StepResult {
  /** The step name (2.x `name`; 1.2 the property id or the plugin name). */
  name: string;
  /** The plugin, e.g. `aws:runShellScript`. */
  action: string;
  status: StepStatus;
  /** Exit code; -1 when the step did not run. */
  code: number;
  /** Why it has this status, when that is not obvious (skipped, precondition, timeout, …). */
  details?: string;
  startedAt?: number;
  endedAt?: number;
  /** The first 24,000 characters of stdout and 8,000 of stderr (API previews). */
  stdout: string;
  stderr: string;
  /** Whole output length in bytes; the output store holds all of it (see OutputMessage). */
  stdoutBytes: number;
  stderrBytes: number;
}

/** Agent → server: progress or the end of a job. Kept in the agent's outbox until acknowledged. */
export interface ReplyMessage {
  type: 'reply';
  replyId: string;
  id: string;
  /** InProgress while running (steps so far); a final status once the document ended. */
  status: DocumentStatus;
  steps: StepResult[];
  /** Set when the job was never started (expired on arrival, invalid document). */
  details?: string;
}

/** Agent → server: a piece of a step's output, in order. Also kept in the outbox until acknowledged. */
export interface OutputMessage {
  type: 'output';
  replyId: string;
  id: string;
  step: string;
  stream: 'stdout' | 'stderr';
  /** Byte offset of `data` in the stream; the server appends only at its current end. */
  offset: number;
  /** base64 */
  data: string;
}

/** Server → agent: the reply or output with this id is stored; the agent may forget it. */
export interface ReplyAckMessage {
  type: 'reply-ack';
  replyId: string;
}

export type ServerJobMessage = JobMessage | ReplyAckMessage;
export type AgentJobMessage = AckMessage | ReplyMessage | OutputMessage | InventoryMessage | PatchReportMessage;

/** AWS's caps on the previews in GetCommandInvocation. */
export const STDOUT_PREVIEW_CHARS = 24_000;
export const STDERR_PREVIEW_CHARS = 8_000;

/** One inventory type as a node collected it (AWS's PutInventory item shape). */
export interface InventoryItem {
  /** `AWS:Application`, `AWS:Network`, …, or `Custom:<Name>`. */
  TypeName: string;
  SchemaVersion: string;
  /** ISO 8601, whole seconds (`2026-11-26T16:42:00Z`). */
  CaptureTime: string;
  /** sha256 (hex) of the type's canonical content: the agent sends a type only when it changed. */
  ContentHash: string;
  Content: Record<string, string>[];
  Context?: Record<string, string>;
}

/**
 * Agent → server: inventory types whose content changed since the last report (through the
 * outbox; the server answers `reply-ack` once the capability that keeps inventory has it).
 */
export interface InventoryMessage {
  type: 'inventory';
  replyId: string;
  items: InventoryItem[];
}
