import { useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { describeBaselines, describePatchGroups, osLabelOf } from '../../api/patching';
import { Field } from '../../components/Field';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link } from '../../router/router';
import { baselinePath } from './paths';

/**
 * Patch groups (a node's `Patch Group` or `PatchGroup` tag) and the baseline each uses per
 * operating system; a group registers with one baseline per system. `baselineId` narrows it to
 * one baseline's groups and registers with that baseline.
 */
export function PatchGroups({ baselineId, onChange }: { baselineId?: string; onChange?: () => void }) {
  const groups = useAsync((signal) => describePatchGroups({ signal }), []);
  const baselines = useAsync((signal) => (baselineId ? Promise.resolve([]) : describeBaselines({ signal })), [baselineId]);
  const [group, setGroup] = useState('');
  const [chosen, setChosen] = useState('');
  const [busy, setBusy] = useState<string>();
  const [refusal, setRefusal] = useState<{ code: string; message: string }>();

  const change = async (op: 'RegisterPatchBaselineForPatchGroup' | 'DeregisterPatchBaselineForPatchGroup', BaselineId: string, PatchGroup: string) => {
    setBusy(`${op}:${PatchGroup}`);
    setRefusal(undefined);
    try {
      await ssm(op, { BaselineId, PatchGroup });
      if (op === 'RegisterPatchBaselineForPatchGroup') setGroup('');
      groups.reload();
      onChange?.();
    } catch (e) {
      setRefusal(describeError(e));
    } finally {
      setBusy(undefined);
    }
  };

  const register = (e: FormEvent) => {
    e.preventDefault();
    const target = baselineId ?? chosen;
    if (!group.trim() || !target) return;
    void change('RegisterPatchBaselineForPatchGroup', target, group.trim());
  };

  const rows = (groups.data ?? []).filter((m) => !baselineId || m.BaselineIdentity.BaselineId === baselineId);
  return (
    <>
      {groups.loading && !groups.data ? <Loading /> : null}
      {groups.error !== undefined ? <ErrorBox error={groups.error} retry={groups.reload} /> : null}
      {groups.data ? (
        rows.length === 0 ? (
          <Empty>{baselineId ? 'No patch group uses this baseline.' : 'No patch groups yet: nodes use their system\'s default baseline.'}</Empty>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="pb-groups">
              <thead>
                <tr>
                  <th scope="col">Patch group</th>
                  {baselineId ? null : <th scope="col">Baseline</th>}
                  <th scope="col">Operating system</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((m) => (
                  <tr key={`${m.PatchGroup} ${m.BaselineIdentity.BaselineId}`} data-testid="pb-group-row" data-group={m.PatchGroup}>
                    <td className="break">{m.PatchGroup}</td>
                    {baselineId ? null : (
                      <td>
                        <Link to={baselinePath(m.BaselineIdentity.BaselineId)}>{m.BaselineIdentity.BaselineName}</Link>
                      </td>
                    )}
                    <td>{osLabelOf(m.BaselineIdentity.OperatingSystem)}</td>
                    <td>
                      <button
                        type="button"
                        className="button button-small"
                        disabled={busy !== undefined}
                        onClick={() => void change('DeregisterPatchBaselineForPatchGroup', m.BaselineIdentity.BaselineId, m.PatchGroup)}
                        aria-label={`Deregister patch group ${m.PatchGroup} from ${m.BaselineIdentity.BaselineName}`}
                        data-testid="pb-group-deregister"
                      >
                        Deregister
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )
      ) : null}
      <form className="inline-form pb-group-form" onSubmit={register} aria-label="Register a patch group" data-testid="pb-group-form">
        <Field label="Patch group" hint="The value of the nodes' Patch Group tag.">
          {(ids) => <input {...ids} value={group} onChange={(e) => setGroup(e.target.value)} data-testid="pb-group-name" />}
        </Field>
        {baselineId ? null : (
          <Field label="Baseline">
            {(ids) => (
              <select {...ids} value={chosen} onChange={(e) => setChosen(e.target.value)} data-testid="pb-group-baseline">
                <option value="">Choose a baseline…</option>
                {(baselines.data ?? []).map((b) => (
                  <option key={b.BaselineId} value={b.BaselineId}>
                    {b.BaselineName} ({osLabelOf(b.OperatingSystem)})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <button type="submit" className="button" disabled={busy !== undefined || !group.trim() || !(baselineId ?? chosen)} data-testid="pb-group-register">
          Register
        </button>
      </form>
      {refusal ? (
        <p className="field-error" role="alert" data-testid="pb-group-error">
          <code className="error-code">{refusal.code}</code> {refusal.message}
        </p>
      ) : null}
    </>
  );
}
