import { useEffect, useState, type FormEvent } from 'react';
import { describeError } from '../../api/errors';
import { contacts, incidents, IMPACTS, type IncidentRecord, type RelatedItem, type TimelineEvent } from '../../api/incidents';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { formatTime, toDate } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { Link, useQuery } from '../../router/router';
import { duration } from './stats';
import { Timeline } from './Timeline';

/** How often an open incident's page reads its timeline again: runbook steps and pages arrive on their own. */
const REFRESH_MS = 5_000;

interface Engagement {
  EngagementArn: string;
  ContactArn: string;
  StartTime?: number;
  StopTime?: number;
}
interface PageSummary {
  PageArn: string;
  ContactArn: string;
  SentTime?: number;
}

async function engagementsOf(arn: string, timeline: TimelineEvent[], signal: AbortSignal) {
  const acknowledged = new Set(timeline.filter((e) => e.eventType === 'Engagement Acknowledged').map((e) => (JSON.parse(e.eventData ?? '{}') as { pageArn?: string }).pageArn));
  const { Engagements = [] } = await contacts<{ Engagements?: Engagement[] }>('ListEngagements', { IncidentId: arn }, { signal });
  return Promise.all(
    Engagements.map(async (e) => {
      const { Pages = [] } = await contacts<{ Pages?: PageSummary[] }>('ListPagesByEngagement', { EngagementId: e.EngagementArn }, { signal });
      return { ...e, pages: Pages.map((p) => ({ ...p, acknowledged: acknowledged.has(p.PageArn) })) };
    }),
  );
}

/** Event data by event id and update time: only new or changed events are read again on a refresh. */
const eventData = new Map<string, string>();

/** ListTimelineEvents lists no event data (as AWS's does not): each new or changed event is read with GetTimelineEvent. */
async function withData(arn: string, events: (TimelineEvent & { eventUpdatedTime?: number })[], signal: AbortSignal): Promise<TimelineEvent[]> {
  return Promise.all(
    events.map(async (e) => {
      const key = `${arn} ${e.eventId} ${String(e.eventUpdatedTime ?? '')}`;
      let data = eventData.get(key);
      if (data === undefined) {
        data = (await incidents<{ event: { eventData?: string } }>('GetTimelineEvent', { incidentRecordArn: arn, eventId: e.eventId }, { signal })).event.eventData ?? '';
        // A long session reading many incidents starts afresh rather than growing without end.
        if (eventData.size > 2000) eventData.clear();
        eventData.set(key, data);
      }
      return { ...e, eventData: data };
    }),
  );
}

/** One incident: its facts, live timeline, notes, impact and status, related items and engagements. */
export function IncidentPage() {
  const [query] = useQuery();
  const arn = query.get('arn') ?? '';
  const state = useAsync(
    async (signal) => {
      const [record, timeline, related] = await Promise.all([
        incidents<{ incidentRecord: IncidentRecord }>('GetIncidentRecord', { arn }, { signal }),
        incidents<{ eventSummaries?: TimelineEvent[] }>('ListTimelineEvents', { incidentRecordArn: arn, sortBy: 'EVENT_TIME', sortOrder: 'ASCENDING', maxResults: 100 }, { signal }),
        incidents<{ relatedItems?: RelatedItem[] }>('ListRelatedItems', { incidentRecordArn: arn }, { signal }),
      ]);
      const events = await withData(arn, timeline.eventSummaries ?? [], signal);
      return { record: record.incidentRecord, timeline: events, related: related.relatedItems ?? [], engagements: await engagementsOf(arn, events, signal) };
    },
    [arn],
  );
  const open = state.data?.record.status === 'OPEN';
  const { reload } = state;
  useEffect(() => {
    if (!open) return undefined;
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [open, reload]);

  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string }>();
  const [note, setNote] = useState('');
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
      state.reload();
      return true;
    } catch (e) {
      setError(describeError(e));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const update = (change: Record<string, unknown>) => act(() => incidents('UpdateIncidentRecord', { arn, ...change }));
  // The code sent with a page proves its reader got it; a console user is already signed in and
  // authorized for ssm-contacts:AcceptPage, so the console accepts with validation off (AWS's default).
  const accept = (pageArn: string) => act(() => contacts('AcceptPage', { PageId: pageArn, AcceptType: 'READ', AcceptCode: 'console', AcceptCodeValidation: 'IGNORE', Note: 'Acknowledged in the Capstan console' }));
  const addNote = async (e: FormEvent) => {
    e.preventDefault();
    const text = note.trim();
    if (!text) return;
    if (await act(() => incidents('CreateTimelineEvent', { incidentRecordArn: arn, eventTime: Date.now() / 1000, eventType: 'Custom Event', eventData: JSON.stringify(text) }))) setNote('');
  };

  const r = state.data?.record;
  const created = toDate(r?.creationTime)?.getTime();
  const resolved = toDate(r?.resolvedTime)?.getTime();
  // The first accepted page acknowledges the incident, as the server measures it.
  const firstAck = state.data?.timeline.find((e) => e.eventType === 'Engagement Acknowledged');
  const acknowledged = toDate(firstAck?.eventTime)?.getTime();
  return (
    <Page
      title={r?.title ?? 'Incident'}
      testId="incident-page"
      actions={
        <>
          <Link to="/incidents" className="button">
            All incidents
          </Link>
          {r ? (
            <button type="button" className={`button${open ? ' button-primary' : ''}`} onClick={() => void update({ status: open ? 'RESOLVED' : 'OPEN' })} disabled={busy} data-testid={open ? 'im-resolve' : 'im-reopen'}>
              {open ? 'Resolve' : 'Reopen'}
            </button>
          ) : null}
        </>
      }
    >
      {state.loading && !state.data ? <Loading /> : null}
      {state.error !== undefined ? <ErrorBox error={state.error} retry={state.reload} /> : null}
      {error ? (
        <p className="field-error" role="alert" data-testid="im-error">
          <code className="error-code">{error.code}</code> {error.message}
        </p>
      ) : null}
      {r && state.data ? (
        <>
          <section className="panel" aria-labelledby="h-im-overview">
            <h2 id="h-im-overview">Overview</h2>
            <dl className="facts" data-testid="im-overview">
              <dt>Status</dt>
              <dd>
                <span className={`badge badge-${open ? 'bad' : 'good'}`} data-testid="im-status">
                  {open ? 'Open' : 'Resolved'}
                </span>
              </dd>
              <dt>Impact</dt>
              <dd>
                <select aria-label="Impact" value={r.impact} disabled={busy} onChange={(e) => void update({ impact: Number(e.target.value) })} data-testid="im-impact-select">
                  {[1, 2, 3, 4, 5].map((n) => (
                    <option key={n} value={n}>
                      {n} {IMPACTS[n]}
                    </option>
                  ))}
                </select>
              </dd>
              <dt>Started</dt>
              <dd>{formatTime(r.creationTime)}</dd>
              <dt>Source</dt>
              <dd className="small">{r.incidentRecordSource?.source ?? '—'} <span className="muted">by {r.incidentRecordSource?.createdBy ?? '—'}</span></dd>
              <dt>Time to acknowledge</dt>
              <dd data-testid="im-time-to-acknowledge">{created !== undefined && acknowledged !== undefined ? duration((acknowledged - created) / 1000) : '—'}</dd>
              <dt>Time to resolve</dt>
              <dd data-testid="im-time-to-resolve">{created !== undefined && resolved !== undefined ? duration((resolved - created) / 1000) : '—'}</dd>
            </dl>
            {r.summary ? <p className="pre-line">{r.summary}</p> : null}
          </section>
          <section className="panel" aria-labelledby="h-im-timeline">
            <h2 id="h-im-timeline">Timeline</h2>
            <form className="filters" onSubmit={(e) => void addNote(e)} aria-label="Add a note to the timeline">
              <Field label="Note">{(ids) => <input {...ids} value={note} maxLength={8000} onChange={(e) => setNote(e.target.value)} data-testid="im-note" />}</Field>
              <button type="submit" className="button" disabled={busy || !note.trim()} data-testid="im-add-note">
                Add note
              </button>
            </form>
            <Timeline events={state.data.timeline} />
          </section>
          <section className="panel" aria-labelledby="h-im-engagements">
            <h2 id="h-im-engagements">Engagements</h2>
            {state.data.engagements.length === 0 ? <Empty>No one was engaged.</Empty> : null}
            <ul className="plain" data-testid="im-engagements">
              {state.data.engagements.flatMap((e) =>
                e.pages.length
                  ? e.pages.map((p) => (
                      <li key={p.PageArn} data-testid="im-page" data-page-arn={p.PageArn} data-acknowledged={p.acknowledged}>
                        <span className="mono small">{p.ContactArn.slice(p.ContactArn.lastIndexOf('/') + 1)}</span> paged {formatTime(p.SentTime)}{' '}
                        <span className={`badge badge-${p.acknowledged ? 'good' : 'warn'}`}>{p.acknowledged ? 'Acknowledged' : 'Not acknowledged'}</span>
                        {open && !p.acknowledged && e.StopTime === undefined ? (
                          <>
                            {' '}
                            <button type="button" className="button" onClick={() => void accept(p.PageArn)} disabled={busy} data-testid="im-accept-page">
                              Acknowledge
                            </button>
                          </>
                        ) : null}
                      </li>
                    ))
                  : [
                      <li key={e.EngagementArn} data-testid="im-page" data-acknowledged="false">
                        <span className="mono small">{e.ContactArn.slice(e.ContactArn.lastIndexOf('/') + 1)}</span> engaged {formatTime(e.StartTime)} <span className="muted">(no page sent yet)</span>
                      </li>,
                    ],
              )}
            </ul>
          </section>
          <section className="panel" aria-labelledby="h-im-related">
            <h2 id="h-im-related">Related items</h2>
            {state.data.related.length === 0 ? <Empty>No related items.</Empty> : null}
            <ul className="plain" data-testid="im-related">
              {state.data.related.map((x) => {
                const value = x.identifier.value.arn ?? x.identifier.value.url ?? x.identifier.value.metricDefinition ?? '';
                return (
                  <li key={`${x.identifier.type} ${value}`} data-testid="im-related-item">
                    {x.title ? `${x.title}: ` : ''}
                    <span className="mono small">{value}</span> <span className="muted">({x.identifier.type})</span>
                  </li>
                );
              })}
            </ul>
          </section>
        </>
      ) : null}
    </Page>
  );
}
