import { useState } from 'react';
import { ssm } from '../../api/client';
import { getBaseline, isPredefined, osLabelOf, type PatchFilter, type PatchRule } from '../../api/patching';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatTime } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate } from '../../router/router';
import { baselinePath } from './paths';
import { PatchGroups } from './PatchGroups';

/** One baseline: its rules and lists, its patch groups, and (for the account's) edit and delete. */
export function BaselinePage({ id }: { id: string }) {
  const b = useAsync((signal) => getBaseline(id, { signal }), [id]);
  const def = useAsync(
    async (signal) => (b.data ? (await ssm<{ BaselineId?: string }>('GetDefaultPatchBaseline', { OperatingSystem: b.data.OperatingSystem }, { signal })).BaselineId : undefined),
    [b.data?.OperatingSystem],
  );
  const [acting, setActing] = useState<'idle' | 'confirm-delete' | 'busy'>('idle');
  const [refusal, setRefusal] = useState<unknown>();
  const predefined = isPredefined(id);
  const data = b.data;
  const isDefault = data !== undefined && def.data === data.BaselineId;

  const act = async (op: 'RegisterDefaultPatchBaseline' | 'DeletePatchBaseline') => {
    setActing('busy');
    setRefusal(undefined);
    try {
      await ssm(op, { BaselineId: id });
      if (op === 'DeletePatchBaseline') return navigate('/patch-baselines');
      def.reload();
    } catch (e) {
      setRefusal(e);
    }
    setActing('idle');
  };

  return (
    <Page
      title={data?.Name ?? 'Patch baseline'}
      testId="pb-page"
      actions={
        <>
          <Link to="/patch-baselines" className="button">
            All baselines
          </Link>
          {data && !isDefault ? (
            <button type="button" className="button" onClick={() => void act('RegisterDefaultPatchBaseline')} disabled={acting === 'busy'} data-testid="pb-set-default">
              Set as default for {osLabelOf(data.OperatingSystem)}
            </button>
          ) : null}
          {data && !predefined ? (
            <Link to={`${baselinePath(id)}/edit`} className="button button-primary" data-testid="pb-edit">
              Edit
            </Link>
          ) : null}
          {data && !predefined ? (
            acting === 'confirm-delete' ? (
              <span className="confirm" role="group" aria-label="Confirm deletion">
                Delete this baseline?{' '}
                <button type="button" className="button button-danger" onClick={() => void act('DeletePatchBaseline')} data-testid="pb-delete-confirm">
                  Yes, delete
                </button>{' '}
                <button type="button" className="button" onClick={() => setActing('idle')}>
                  Keep it
                </button>
              </span>
            ) : (
              <button type="button" className="button button-danger" onClick={() => setActing('confirm-delete')} disabled={acting === 'busy'} data-testid="pb-delete">
                Delete
              </button>
            )
          ) : null}
        </>
      }
    >
      {refusal !== undefined ? <ErrorBox error={refusal} title="The baseline was not changed" testId="pb-action-error" /> : null}
      {b.loading ? <Loading /> : null}
      {b.error !== undefined ? <ErrorBox error={b.error} retry={b.reload} /> : null}
      {data ? (
        <div className="grid two">
          <section className="panel" aria-labelledby="h-pb-info">
            <h2 id="h-pb-info">Baseline</h2>
            {predefined ? (
              <p className="callout" data-testid="pb-predefined">
                Predefined by Capstan: read-only. <Link to="/patch-baselines/create">Create your own</Link> to change the rules.
              </p>
            ) : null}
            <dl className="facts" data-testid="pb-info">
              <dt>Id</dt>
              <dd className="mono break">{data.BaselineId}</dd>
              <dt>Operating system</dt>
              <dd>{osLabelOf(data.OperatingSystem)}</dd>
              <dt>Default</dt>
              <dd data-testid="pb-default">{isDefault ? <span className="badge badge-good">Default for {osLabelOf(data.OperatingSystem)}</span> : 'No'}</dd>
              <dt>Description</dt>
              <dd>{data.Description || '—'}</dd>
              <dt>Rejected patches</dt>
              <dd>{data.RejectedPatchesAction === 'BLOCK' ? 'Blocked, even as dependencies' : 'Allowed as dependencies'}</dd>
              <dt>Unapproved security updates</dt>
              <dd>{data.AvailableSecurityUpdatesComplianceStatus === 'NON_COMPLIANT' ? 'Make the node non-compliant' : data.AvailableSecurityUpdatesComplianceStatus === 'COMPLIANT' ? 'Reported, compliant' : 'Not counted'}</dd>
              {predefined ? null : (
                <>
                  <dt>Created</dt>
                  <dd>{formatTime(data.CreatedDate)}</dd>
                  <dt>Modified</dt>
                  <dd>{formatTime(data.ModifiedDate)}</dd>
                </>
              )}
            </dl>
          </section>
          <section className="panel" aria-labelledby="h-pb-lists">
            <h2 id="h-pb-lists">Approved and rejected patches</h2>
            <h3>Approved ({data.ApprovedPatchesComplianceLevel ?? 'UNSPECIFIED'}{data.ApprovedPatchesEnableNonSecurity ? ', non-security included' : ''})</h3>
            <PatchList items={data.ApprovedPatches} testId="pb-approved-list" />
            <h3>Rejected</h3>
            <PatchList items={data.RejectedPatches} testId="pb-rejected-list" />
          </section>
          <section className="panel panel-wide" aria-labelledby="h-pb-rules">
            <h2 id="h-pb-rules">Rules</h2>
            <h3>Global filters</h3>
            <Filters filters={data.GlobalFilters?.PatchFilters} />
            <h3>Approval rules</h3>
            <Rules rules={data.ApprovalRules?.PatchRules ?? []} />
          </section>
          <section className="panel panel-wide" aria-labelledby="h-pb-groups">
            <h2 id="h-pb-groups">Patch groups</h2>
            <PatchGroups baselineId={data.BaselineId} onChange={b.reload} />
          </section>
        </div>
      ) : null}
    </Page>
  );
}

function PatchList({ items, testId }: { items: string[] | undefined; testId: string }) {
  if (!items?.length) return <p className="muted small">None.</p>;
  return (
    <ul className="chips" data-testid={testId}>
      {items.map((p) => (
        <li key={p} className="chip mono">
          {p}
        </li>
      ))}
    </ul>
  );
}

function Filters({ filters }: { filters: PatchFilter[] | undefined }) {
  if (!filters?.length) return <p className="muted small">None.</p>;
  return (
    <ul className="plain pb-filter-summary">
      {filters.map((f) => (
        <li key={f.Key}>
          <code>{f.Key}</code> {f.Values.join(', ')}
        </li>
      ))}
    </ul>
  );
}

function Rules({ rules }: { rules: PatchRule[] }) {
  if (!rules.length) return <Empty>No approval rules: only the approved patches are installed.</Empty>;
  return (
    <div className="table-wrap">
      <table className="table" data-testid="pb-rules">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">Filters</th>
            <th scope="col">Approval</th>
            <th scope="col">Compliance level</th>
            <th scope="col">Non-security</th>
          </tr>
        </thead>
        <tbody>
          {rules.map((r, i) => (
            <tr key={i} data-testid="pb-rule-row">
              <td>{i + 1}</td>
              <td>
                <Filters filters={r.PatchFilterGroup.PatchFilters} />
              </td>
              <td>{r.ApproveUntilDate ? `Released up to ${r.ApproveUntilDate}` : r.ApproveAfterDays !== undefined ? `${r.ApproveAfterDays} days after release` : 'At once'}</td>
              <td>{r.ComplianceLevel ?? 'UNSPECIFIED'}</td>
              <td>{r.EnableNonSecurity ? 'Included' : 'No'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
