import type { PatchRecord, PatchReportMessage, PatchState, PatchSummary } from '@capstan/wire';
import type { Kysely } from 'kysely';
import { complianceService, type ComplianceItemInput } from '../compliance/index.js';
import { nodeService } from '../nodes/index.js';
import type { Core } from '../protocol/context.js';
import { tablesOf } from './baselines.js';
import { nodeOs } from './os.js';
import type { InstancePatchRow, PatchCatalogRow, PatchingTables, PatchStateRow } from './tables.js';

const CHUNK = 200;
/** AWS counts these states against compliance; INSTALLED_PENDING_REBOOT only until the node reboots, which the agent reflects in its next report. */
const NON_COMPLIANT: ReadonlySet<PatchState> = new Set(['MISSING', 'FAILED', 'INSTALLED_PENDING_REBOOT', 'INSTALLED_REJECTED']);
const COUNT_KEYS = ['InstalledCount', 'InstalledOtherCount', 'InstalledPendingRebootCount', 'InstalledRejectedCount', 'MissingCount', 'FailedCount', 'UnreportedNotApplicableCount', 'NotApplicableCount', 'AvailableSecurityUpdateCount', 'CriticalNonCompliantCount', 'SecurityNonCompliantCount', 'OtherNonCompliantCount'] as const;
const STATES: ReadonlySet<string> = new Set(['INSTALLED', 'INSTALLED_OTHER', 'INSTALLED_PENDING_REBOOT', 'INSTALLED_REJECTED', 'MISSING', 'NOT_APPLICABLE', 'FAILED', 'AVAILABLE_SECURITY_UPDATE']);

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether a message from an agent has the shape of a patch report (what is stored is read from it as such). */
export function isPatchReport(m: Record<string, unknown>): m is PatchReportMessage & Record<string, unknown> {
  const s = m.summary as Partial<PatchSummary> | undefined;
  if (!str(m.replyId) || !str(m.commandId) || !s || typeof s !== 'object' || !Array.isArray(m.patches)) return false;
  if (!str(s.BaselineId) || !str(s.SnapshotId) || !str(s.PatchGroup) || (s.Operation !== 'Scan' && s.Operation !== 'Install') || !num(s.OperationStartTime) || !num(s.OperationEndTime)) return false;
  if (!COUNT_KEYS.every((k) => num(s[k]) && s[k] >= 0)) return false;
  return (m.patches as unknown[]).every((p) => {
    const r = p as Partial<PatchRecord> | null;
    return !!r && str(r.Title) && str(r.KBId) && str(r.Classification) && str(r.Severity) && str(r.State) && STATES.has(r.State) && str(r.Name) && str(r.Version) && str(r.Arch) && str(r.Product);
  });
}

/** Nodes' patch reports: their InstancePatchState, their patches, the catalogue, and `Patch` compliance. */
export class PatchReports {
  private readonly db: Kysely<PatchingTables>;
  constructor(private readonly core: Core) {
    this.db = tablesOf(core.database.db);
  }

  /** Stores a node's report, replacing its last one whole; then writes its `Patch` compliance. */
  async store(account: string, region: string, instanceId: string, report: PatchReportMessage): Promise<void> {
    const node = await nodeService(this.core).instance(account, region, instanceId);
    if (!node) return;
    const s = report.summary;
    const now = this.core.clock.now();
    const state: PatchStateRow = {
      account_id: account,
      region,
      instance_id: instanceId,
      patch_group: s.PatchGroup,
      baseline_id: s.BaselineId,
      command_id: report.commandId,
      summary: JSON.stringify(s),
      installed_count: s.InstalledCount,
      installed_other_count: s.InstalledOtherCount,
      installed_pending_reboot_count: s.InstalledPendingRebootCount,
      installed_rejected_count: s.InstalledRejectedCount,
      missing_count: s.MissingCount,
      failed_count: s.FailedCount,
      not_applicable_count: s.NotApplicableCount,
      critical_non_compliant_count: s.CriticalNonCompliantCount,
      security_non_compliant_count: s.SecurityNonCompliantCount,
      other_non_compliant_count: s.OtherNonCompliantCount,
      operation_end_time: s.OperationEndTime,
      reported_at: now,
    };
    const patches: InstancePatchRow[] = report.patches.map((p, seq) => ({ account_id: account, region, instance_id: instanceId, seq, kb_id: p.KBId, state: p.State, classification: p.Classification, severity: p.Severity, data: JSON.stringify(p) }));
    const os = nodeOs(node.platform_name, node.platform_version)?.os;
    const catalog: PatchCatalogRow[] = os
      ? [...new Map(report.patches.map((p) => [`${p.Product}\u0000${p.Name}\u0000${p.Arch}\u0000${p.Version}`, p])).values()].map((p) => {
          const { State: _s, InstalledTime: _i, InstalledVersion: _v, ComplianceLevel: _c, ...facts } = p;
          return { account_id: account, region, operating_system: os, product: p.Product, name: p.Name, arch: p.Arch, version: p.Version, classification: p.Classification, severity: p.Severity, data: JSON.stringify(facts), release_date: p.ReleaseDate ?? null, updated_at: now };
        })
      : [];
    await this.core.database.db.transaction().execute(async (trx) => {
      const t = tablesOf(trx);
      await t.deleteFrom('instance_patches').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).execute();
      await t.deleteFrom('patch_states').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).execute();
      await t.insertInto('patch_states').values(state).execute();
      for (let i = 0; i < patches.length; i += CHUNK) await t.insertInto('instance_patches').values(patches.slice(i, i + CHUNK)).execute();
      for (let i = 0; i < catalog.length; i += CHUNK) {
        await t
          .insertInto('patch_catalog')
          .values(catalog.slice(i, i + CHUNK))
          .onConflict((oc) =>
            oc.columns(['account_id', 'region', 'operating_system', 'product', 'name', 'arch', 'version']).doUpdateSet((eb) => ({
              classification: eb.ref('excluded.classification'),
              severity: eb.ref('excluded.severity'),
              data: eb.ref('excluded.data'),
              release_date: eb.ref('excluded.release_date'),
              updated_at: eb.ref('excluded.updated_at'),
            })),
          )
          .execute();
      }
    });
    await this.writeCompliance(account, region, instanceId, report);
  }

  private async writeCompliance(account: string, region: string, instanceId: string, report: PatchReportMessage): Promise<void> {
    let compliance;
    try {
      compliance = complianceService(this.core);
    } catch {
      return; // a server assembled without the compliance capability keeps patch states only
    }
    const items: ComplianceItemInput[] = report.patches
      .filter((p) => p.State !== 'NOT_APPLICABLE')
      .map((p) => ({
        Id: p.KBId,
        Title: p.Title,
        Severity: p.ComplianceLevel ?? 'UNSPECIFIED',
        Status: NON_COMPLIANT.has(p.State) ? 'NON_COMPLIANT' : 'COMPLIANT',
        Details: { Classification: p.Classification, PatchSeverity: p.Severity, PatchState: p.State, ...(p.InstalledTime !== undefined ? { InstalledTime: new Date(p.InstalledTime).toISOString() } : {}), ...(p.CVEIds ? { CVEIds: p.CVEIds } : {}) },
      }));
    await compliance.put({
      accountId: account,
      region,
      resourceId: instanceId,
      resourceType: 'ManagedInstance',
      complianceType: 'Patch',
      executionSummary: { ExecutionTime: report.summary.OperationEndTime, ExecutionId: report.commandId, ExecutionType: 'Command' },
      items,
      uploadType: 'COMPLETE',
    });
  }

  // ---- reading ---------------------------------------------------------------------------------

  states(account: string, region: string, ids: readonly string[]) {
    if (ids.length === 0) return Promise.resolve([] as PatchStateRow[]);
    return this.db.selectFrom('patch_states').selectAll().where('account_id', '=', account).where('region', '=', region).where('instance_id', 'in', ids).orderBy('instance_id').execute();
  }

  groupStates(account: string, region: string, group: string) {
    return this.db.selectFrom('patch_states').selectAll().where('account_id', '=', account).where('region', '=', region).where('patch_group', '=', group).orderBy('instance_id').execute();
  }

  async patches(account: string, region: string, instanceId: string): Promise<PatchRecord[]> {
    const rows = await this.db.selectFrom('instance_patches').select('data').where('account_id', '=', account).where('region', '=', region).where('instance_id', '=', instanceId).orderBy('seq').execute();
    return rows.map((r) => JSON.parse(r.data) as PatchRecord);
  }

  catalog(account: string, region: string, os?: string) {
    let q = this.db.selectFrom('patch_catalog').selectAll().where('account_id', '=', account).where('region', '=', region);
    if (os !== undefined) q = q.where('operating_system', '=', os);
    return q.orderBy('product').orderBy('name').orderBy('arch').orderBy('version').execute();
  }
}

export const summaryOf = (r: PatchStateRow): PatchSummary => JSON.parse(r.summary) as PatchSummary;
