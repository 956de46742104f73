import type { PatchRecord, PatchReportMessage, PatchSummary } from '@capstan/wire';
import { AddTagsToResourceCommand, CreateActivationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { nodeService } from '../../nodes/index.js';
import { SimulatedAgent } from '../../test-support/sim-agent.js';
import type { TestServer } from '../../test-support/server.js';

/** A simulated node that can send patch reports over its channel and waits for the server's ack. */
export class PatchingAgent extends SimulatedAgent {
  private readonly acks = new Map<string, () => void>();
  protected override onMessage(m: Record<string, unknown>): void {
    if (m.type === 'reply-ack' && typeof m.replyId === 'string') this.acks.get(m.replyId)?.();
  }
  /** Resolves once the server acknowledged the report (it is stored). */
  report(r: Omit<PatchReportMessage, 'type' | 'replyId'>, replyId = `patch-${Math.random().toString(36).slice(2)}`): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply-ack for ${replyId}`)), 20_000);
      this.acks.set(replyId, () => {
        clearTimeout(timer);
        resolve();
      });
      this.send({ type: 'patch-report', replyId, ...r });
    });
  }
}

/** A registered, connected node reporting the given operating system (os-release NAME and VERSION_ID), with tags. */
export async function patchNode(ssm: SSMClient, t: TestServer, name: string, platform: [string, string], tags: Record<string, string> = {}): Promise<PatchingAgent> {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const a = new PatchingAgent(t.endpoint, name);
  await a.register(ActivationId!, ActivationCode!);
  await a.connect();
  a.behaviour = () => 'hold';
  if (Object.keys(tags).length) await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: a.instanceId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  await nodeService(t.server.core).update(a.instanceId, { platform_name: platform[0], platform_version: platform[1] });
  return a;
}

export const summary = (o: Partial<PatchSummary> & Pick<PatchSummary, 'BaselineId' | 'PatchGroup'>): PatchSummary => ({
  SnapshotId: '6f3c2a1e-0d4b-4c2a-9a51-2f7f0c1d9e11',
  Operation: 'Scan',
  OperationStartTime: Date.parse('2026-11-20T10:00:00Z'),
  OperationEndTime: Date.parse('2026-11-20T10:01:00Z'),
  RebootOption: 'NoReboot',
  InstalledCount: 0,
  InstalledOtherCount: 0,
  InstalledPendingRebootCount: 0,
  InstalledRejectedCount: 0,
  MissingCount: 0,
  FailedCount: 0,
  UnreportedNotApplicableCount: 0,
  NotApplicableCount: 0,
  AvailableSecurityUpdateCount: 0,
  CriticalNonCompliantCount: 0,
  SecurityNonCompliantCount: 0,
  OtherNonCompliantCount: 0,
  ...o,
});

export const aptPatch = (name: string, version: string, state: PatchRecord['State'], o: Partial<PatchRecord> = {}): PatchRecord => ({
  Title: `${name}.amd64:0:${version}`,
  KBId: name,
  Classification: 'security',
  Severity: 'important',
  State: state,
  Name: name,
  Version: version,
  Arch: 'amd64',
  Product: 'Ubuntu22.04',
  Section: 'libs',
  Priority: 'important',
  Repository: 'jammy-security',
  ComplianceLevel: 'HIGH',
  ...(state.startsWith('INSTALLED') ? { InstalledTime: Date.parse('2026-11-01T00:00:00Z') } : {}),
  ...o,
});
