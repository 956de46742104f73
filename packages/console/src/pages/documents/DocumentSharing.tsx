import { useState, type FormEvent } from 'react';
import { allPages, ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import { Empty, ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';

interface AccountSharingInfo {
  AccountId?: string;
  SharedDocumentVersion?: string;
}

/** The ids typed: account ids or `All`, separated by commas or spaces. */
export const parseAccountIds = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

const label = (id: string) => (id.toLowerCase() === 'all' ? 'All accounts (public)' : id);

/**
 * Whom an owned document is shared with (DescribeDocumentPermission, PermissionType Share), and
 * sharing with or unsharing from account ids or `All` (ModifyDocumentPermission). The server's
 * refusals show as they are.
 */
export function DocumentSharing({ name }: { name: string }) {
  const [draft, setDraft] = useState('');
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<{ code: string; message: string }>();
  const shares = useAsync(
    (signal) =>
      allPages<{ AccountSharingInfoList?: AccountSharingInfo[]; NextToken?: string }, AccountSharingInfo>(
        'DescribeDocumentPermission',
        { Name: name, PermissionType: 'Share', MaxResults: 200 },
        (p) => p.AccountSharingInfoList,
        { signal },
      ),
    [name],
  );

  const modify = async (change: { AccountIdsToAdd?: string[]; AccountIdsToRemove?: string[] }, what: string) => {
    setBusy(what);
    setError(undefined);
    try {
      await ssm('ModifyDocumentPermission', { Name: name, PermissionType: 'Share', ...change });
      shares.reload();
      return true;
    } catch (e) {
      setError(describeError(e));
      return false;
    } finally {
      setBusy(undefined);
    }
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    const ids = parseAccountIds(draft);
    if (!ids.length) return setError({ code: 'NoAccount', message: 'Type a 12-digit account id, or All to share the document publicly.' });
    if (await modify({ AccountIdsToAdd: ids }, 'add')) setDraft('');
  };

  const list = shares.data;
  return (
    <section className="panel" aria-labelledby="h-sharing" data-testid="doc-sharing">
      <h2 id="h-sharing">Sharing</h2>
      <form className="inline-form" onSubmit={(e) => void add(e)} aria-label="Share the document">
        <label htmlFor="doc-share-input" className="visually-hidden">
          Account ids or All
        </label>
        <input
          id="doc-share-input"
          placeholder="123456789012, or All"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'doc-share-error' : undefined}
          data-testid="doc-share-input"
        />
        <button type="submit" className="button" disabled={busy !== undefined} data-testid="doc-share-add">
          {busy === 'add' ? 'Sharing…' : 'Share'}
        </button>
      </form>
      {error ? (
        <p className="field-error" role="alert" id="doc-share-error" data-testid="doc-share-error">
          <span className="error-code">{error.code}</span> {error.message}
        </p>
      ) : null}
      {shares.loading && !list ? <Loading /> : null}
      {shares.error !== undefined ? <ErrorBox error={shares.error} retry={shares.reload} /> : null}
      {list && !list.length ? <Empty>Not shared: only this account can use it.</Empty> : null}
      {list?.length ? (
        <ul className="plain shared-list" data-testid="doc-shared-with">
          {list.map((s) => (
            <li key={s.AccountId} data-testid="doc-shared-account" data-account-id={s.AccountId}>
              <span className="mono">{label(s.AccountId ?? '')}</span>
              {s.SharedDocumentVersion ? <span className="muted small"> version {s.SharedDocumentVersion}</span> : null}{' '}
              <button type="button" className="button button-small" onClick={() => void modify({ AccountIdsToRemove: [s.AccountId!] }, s.AccountId!)} disabled={busy !== undefined} data-testid="doc-unshare">
                {busy === s.AccountId ? 'Unsharing…' : 'Unshare'}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
