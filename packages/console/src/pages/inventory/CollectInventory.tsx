import { useEffect, useState } from 'react';
import { allPages, ssm } from '../../api/client';
import type { Association, AssociationDescription } from '../../api/types';
import { ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, withQuery } from '../../router/router';

const GATHER = 'AWS-GatherSoftwareInventory';
/** AWS's console sets inventory up at this rate too. */
const SCHEDULE = 'rate(30 minutes)';
/** How often, and how long, the page looks for the first report once collection is set up. */
const POLL_MS = 3_000;
const POLL_FOR_MS = 3 * 60_000;

const targetsNode = (a: Association, id: string) => a.InstanceId === id || (a.Targets ?? []).some((t) => t.Key === 'InstanceIds' && (t.Values ?? []).some((v) => v === id || v === '*'));

/**
 * A node without inventory: what collects it, and a button that sets that up for this node (a
 * State Manager association of AWS-GatherSoftwareInventory, which runs at once and then on its
 * schedule). Once an association targets the node, the page looks again every few seconds.
 */
export function CollectInventory({ id, region, elsewhere, onReported }: { id: string; region: string | undefined; elsewhere?: boolean | undefined; onReported: () => void }) {
  const existing = useAsync(
    async (signal) => {
      const list = await allPages<{ Associations?: Association[]; NextToken?: string }, Association>(
        'ListAssociations',
        { MaxResults: 50, AssociationFilterList: [{ key: 'Name', value: GATHER }] },
        (p) => p.Associations,
        { signal, region, limit: 500 },
      );
      return list.find((a) => targetsNode(a, id));
    },
    [id, region],
  );
  const [created, setCreated] = useState<AssociationDescription>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const association = created ?? existing.data;

  useEffect(() => {
    if (!association) return;
    const started = Date.now();
    const timer = setInterval(() => {
      if (Date.now() - started > POLL_FOR_MS) clearInterval(timer);
      else onReported();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [association, onReported]);

  const create = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const r = await ssm<{ AssociationDescription: AssociationDescription }>(
        'CreateAssociation',
        { Name: GATHER, AssociationName: `Inventory-${id}`, Targets: [{ Key: 'InstanceIds', Values: [id] }], ScheduleExpression: SCHEDULE },
        { region },
      );
      setCreated(r.AssociationDescription);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  const link = (a: Association) =>
    elsewhere ? (
      <span className="mono">{a.AssociationName || a.AssociationId}</span>
    ) : (
      <Link to={`/state-manager/associations/${a.AssociationId}`} data-testid="node-inventory-association">
        {a.AssociationName || a.AssociationId}
      </Link>
    );

  return (
    <div className="inv-empty" data-testid="node-inventory-empty">
      <p>This node has not reported inventory yet.</p>
      <p className="muted">
        Nodes report their software and configuration when they run the <code>{GATHER}</code> document, which a State Manager association runs on a schedule.
      </p>
      {existing.loading && !existing.data ? <Loading label="Looking for an inventory association…" /> : null}
      {existing.error !== undefined ? <ErrorBox error={existing.error} retry={existing.reload} title="The associations could not be listed" /> : null}
      {association ? (
        <p role="status" data-testid="node-inventory-waiting">
          {created ? 'Created ' : 'The association '}
          {link(association)} {created ? 'runs now' : 'targets this node'}; the inventory shows here once the node reports it.
        </p>
      ) : existing.data === undefined && !existing.loading && existing.error === undefined ? (
        <p>
          <button type="button" className="button button-primary" onClick={() => void create()} disabled={busy} data-testid="node-inventory-collect">
            {busy ? 'Creating…' : 'Collect inventory every 30 minutes'}
          </button>{' '}
          {elsewhere ? null : (
            <Link to={withQuery('/state-manager', { document: GATHER })} className="small">
              Inventory associations in State Manager
            </Link>
          )}
        </p>
      ) : null}
      {error !== undefined ? <ErrorBox error={error} title="Inventory collection could not be set up" testId="node-inventory-collect-error" /> : null}
    </div>
  );
}
