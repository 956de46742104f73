import { describeBaselines, isPredefined, osLabelOf, PATCH_OS } from '../../api/patching';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { baselinePath } from './paths';
import { PatchGroups } from './PatchGroups';

/** Patch Manager: the baselines (Capstan's predefined ones and the account's) and the patch groups. */
export function BaselinesPage() {
  const [query, setQuery] = useQuery();
  const os = query.get('os') ?? '';
  const list = useAsync((signal) => describeBaselines({ signal }), []);
  const rows = (list.data ?? []).filter((b) => !os || b.OperatingSystem === os);
  return (
    <Page
      title="Patch baselines"
      testId="pb-list-page"
      actions={
        <>
          <Link to="/compliance?type=Patch" className="button">
            Patch compliance
          </Link>
          <Link to="/patch-baselines/create" className="button button-primary" data-testid="pb-create">
            Create baseline
          </Link>
        </>
      }
    >
      <section className="panel" aria-labelledby="h-pb-baselines">
        <div className="panel-head">
          <h2 id="h-pb-baselines">Baselines</h2>
          <div className="filters">
            <label htmlFor="pb-os-filter">Operating system</label>
            <select id="pb-os-filter" value={os} onChange={(e) => setQuery({ os: e.target.value })} data-testid="pb-os-filter">
              <option value="">All</option>
              {PATCH_OS.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          </div>
        </div>
        {list.loading ? <Loading /> : null}
        {list.error !== undefined ? <ErrorBox error={list.error} retry={list.reload} /> : null}
        {list.data && !list.loading ? (
          rows.length === 0 ? (
            <Empty>No baselines{os ? ` for ${osLabelOf(os)}` : ''}.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table" data-testid="pb-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Operating system</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Default</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((b) => (
                    <tr key={b.BaselineId} data-testid="pb-row" data-baseline-id={b.BaselineId} data-name={b.BaselineName} data-predefined={isPredefined(b.BaselineId)} data-default={b.DefaultBaseline === true}>
                      <td>
                        <Link to={baselinePath(b.BaselineId)} data-testid="pb-link">
                          {b.BaselineName}
                        </Link>
                      </td>
                      <td>{osLabelOf(b.OperatingSystem)}</td>
                      <td>{isPredefined(b.BaselineId) ? <span className="badge badge-info" title="Provided by Capstan; read-only">Predefined</span> : <span className="badge badge-muted">This account</span>}</td>
                      <td>{b.DefaultBaseline ? <span className="badge badge-good">Default</span> : <span className="muted">—</span>}</td>
                      <td className="pb-description">{b.BaselineDescription ?? '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        ) : null}
      </section>
      <section className="panel" aria-labelledby="h-pb-groups">
        <h2 id="h-pb-groups">Patch groups</h2>
        <PatchGroups />
      </section>
    </Page>
  );
}
