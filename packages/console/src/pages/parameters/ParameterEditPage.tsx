import { useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { Parameter, ParameterMetadata, ParameterType } from '../../api/types';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate, useQuery, withQuery } from '../../router/router';
import { checkName, normalisePath, parentOf } from './paths';

interface Draft {
  name: string;
  type: ParameterType;
  tier: string;
  description: string;
  value: string;
  keyId: string;
  dataType: string;
  allowedPattern: string;
  overwrite: boolean;
  tags: string;
}

const TIERS = ['Standard', 'Advanced', 'Intelligent-Tiering'];

export function ParameterEditPage({ mode }: { mode: 'create' | 'edit' }) {
  const [query] = useQuery();
  const editName = query.get('name') ?? '';
  const startPath = normalisePath(query.get('path'));
  const existing = useAsync(
    async (signal) => {
      if (mode !== 'edit') return undefined;
      const meta = (await ssm<{ Parameters?: ParameterMetadata[] }>('DescribeParameters', { ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [editName] }] }, { signal })).Parameters?.[0];
      if (!meta) return null;
      // The current value of a SecureString is not fetched (that would decrypt it) unless asked for.
      const value = meta.Type === 'SecureString' ? undefined : (await ssm<{ Parameter: Parameter }>('GetParameter', { Name: editName }, { signal })).Parameter.Value;
      return { meta, value };
    },
    [mode, editName],
  );

  const title = mode === 'create' ? 'Create parameter' : `Edit ${editName}`;
  return (
    <Page title={title} heading={mode === 'create' ? 'Create parameter' : <>Edit <span className="mono break">{editName}</span></>} testId="parameter-edit-page">
      {existing.loading && mode === 'edit' ? <Loading /> : null}
      {existing.error !== undefined ? <ErrorBox error={existing.error} retry={existing.reload} /> : null}
      {existing.data === null ? <p className="empty">There is no parameter {editName}.</p> : null}
      {mode === 'create' ? <ParameterForm mode="create" initial={{ name: startPath === '/' ? '/' : `${startPath}/` }} /> : null}
      {mode === 'edit' && existing.data ? (
        <ParameterForm
          mode="edit"
          initial={{
            name: existing.data.meta.Name,
            type: existing.data.meta.Type ?? 'String',
            tier: existing.data.meta.Tier ?? 'Standard',
            description: existing.data.meta.Description ?? '',
            value: existing.data.value ?? '',
            keyId: existing.data.meta.KeyId ?? '',
            dataType: existing.data.meta.DataType ?? 'text',
            allowedPattern: existing.data.meta.AllowedPattern ?? '',
          }}
        />
      ) : null}
    </Page>
  );
}

function ParameterForm({ mode, initial }: { mode: 'create' | 'edit'; initial: Partial<Draft> }) {
  const [d, setD] = useState<Draft>({
    name: '',
    type: 'String',
    tier: 'Standard',
    description: '',
    value: '',
    keyId: '',
    dataType: 'text',
    allowedPattern: '',
    overwrite: mode === 'edit',
    tags: '',
    ...initial,
  });
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ code: string; message: string }>();
  const [loadingSecret, setLoadingSecret] = useState(false);
  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => setD((o) => ({ ...o, [k]: v }));
  const secure = d.type === 'SecureString';

  const tags = d.tags
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const i = l.indexOf('=');
      return i < 0 ? { Key: l, Value: '' } : { Key: l.slice(0, i).trim(), Value: l.slice(i + 1).trim() };
    });
  const errors: Partial<Record<keyof Draft, string>> = {};
  if (touched) {
    const n = checkName(d.name.trim());
    if (mode === 'create' && n) errors.name = n;
    if (d.value === '') errors.value = secure && mode === 'edit' ? 'Give the new value (or load the current one).' : 'Required.';
    if (d.description.length > 1024) errors.description = 'At most 1024 characters.';
    if (d.tier === 'Standard' && new Blob([d.value]).size > 4096) errors.value = 'A Standard parameter holds at most 4 KB; choose Advanced.';
    if (new Blob([d.value]).size > 8192) errors.value = 'A parameter holds at most 8 KB.';
    if (d.overwrite && tags.length) errors.tags = 'Tags can only be given when creating, not when overwriting.';
  }

  const loadSecret = async () => {
    setLoadingSecret(true);
    try {
      const r = await ssm<{ Parameter: Parameter }>('GetParameter', { Name: d.name, WithDecryption: true });
      set('value', r.Parameter.Value ?? '');
    } catch (e) {
      setError(describeError(e));
    } finally {
      setLoadingSecret(false);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setError(undefined);
    const name = d.name.trim();
    if ((mode === 'create' && checkName(name)) || d.value === '' || d.description.length > 1024 || (d.overwrite && tags.length)) return;
    setBusy(true);
    try {
      await ssm('PutParameter', {
        Name: name,
        Value: d.value,
        Type: d.type,
        Tier: d.tier,
        Overwrite: d.overwrite,
        ...(d.description ? { Description: d.description } : {}),
        ...(secure && d.keyId ? { KeyId: d.keyId } : {}),
        ...(!secure && d.dataType ? { DataType: d.dataType } : {}),
        ...(d.allowedPattern ? { AllowedPattern: d.allowedPattern } : {}),
        ...(tags.length ? { Tags: tags } : {}),
      });
      setD((o) => ({ ...o, value: '' }));
      navigate(withQuery('/parameters/view', { name }));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="form" onSubmit={submit} noValidate data-testid="param-form">
      <Field label="Name" required error={errors.name} hint={mode === 'create' ? 'A path of levels separated by /, such as /prod/db/url.' : undefined}>
        {(ids) => <input {...ids} value={d.name} readOnly={mode === 'edit'} spellCheck={false} onChange={(e) => set('name', e.target.value)} data-testid="param-name" />}
      </Field>
      <Field label="Description" error={errors.description}>
        {(ids) => <input {...ids} value={d.description} maxLength={1024} onChange={(e) => set('description', e.target.value)} data-testid="param-description" />}
      </Field>
      <div className="row">
        <Field label="Type" required>
          {(ids) => (
            <select {...ids} value={d.type} onChange={(e) => set('type', e.target.value as ParameterType)} data-testid="param-type">
              <option value="String">String</option>
              <option value="StringList">StringList (comma-separated)</option>
              <option value="SecureString">SecureString (encrypted)</option>
            </select>
          )}
        </Field>
        <Field label="Tier" hint="Advanced holds up to 8 KB and takes policies.">
          {(ids) => (
            <select {...ids} value={d.tier} onChange={(e) => set('tier', e.target.value)} data-testid="param-tier">
              {TIERS.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          )}
        </Field>
        {secure ? (
          <Field label="KMS key" hint="Empty for the account's default key, alias/aws/ssm.">
            {(ids) => <input {...ids} value={d.keyId} placeholder="alias/aws/ssm" spellCheck={false} onChange={(e) => set('keyId', e.target.value)} data-testid="param-key-id" />}
          </Field>
        ) : (
          <Field label="Data type">
            {(ids) => (
              <select {...ids} value={d.dataType} onChange={(e) => set('dataType', e.target.value)} data-testid="param-data-type">
                <option value="text">text</option>
                <option value="aws:ec2:image">aws:ec2:image</option>
              </select>
            )}
          </Field>
        )}
      </div>
      <Field label="Value" required error={errors.value} hint={secure ? 'Encrypted before it is stored; shown only when someone reveals it.' : d.type === 'StringList' ? 'Items separated by commas.' : undefined}>
        {(ids) => <textarea {...ids} className={`mono${secure ? ' secret-input' : ''}`} rows={4} spellCheck={false} autoComplete="off" value={d.value} onChange={(e) => set('value', e.target.value)} data-testid="param-value-input" />}
      </Field>
      {mode === 'edit' && secure && d.value === '' ? (
        <button type="button" className="button" onClick={() => void loadSecret()} disabled={loadingSecret} data-testid="param-load-current">
          {loadingSecret ? 'Decrypting…' : 'Load the current value to edit it'}
        </button>
      ) : null}
      <Field label="Allowed pattern" hint="A regular expression every value must match (optional).">
        {(ids) => <input {...ids} className="mono" value={d.allowedPattern} spellCheck={false} onChange={(e) => set('allowedPattern', e.target.value)} data-testid="param-allowed-pattern" />}
      </Field>
      {mode === 'create' ? (
        <>
          <Field label="Tags" hint="One key=value a line (optional)." error={errors.tags}>
            {(ids) => <textarea {...ids} className="mono" rows={2} value={d.tags} onChange={(e) => set('tags', e.target.value)} data-testid="param-tags" />}
          </Field>
          <div className="field field-check">
            <input id="p-overwrite" type="checkbox" checked={d.overwrite} onChange={(e) => set('overwrite', e.target.checked)} data-testid="param-overwrite" />
            <label htmlFor="p-overwrite">Overwrite if a parameter of this name exists (adds a version)</label>
          </div>
        </>
      ) : (
        <p className="hint">Saving adds a new version; the old ones stay in the history.</p>
      )}
      {error ? (
        <div className="error-box" role="alert" data-testid="param-form-error">
          <p>
            <strong>Not saved.</strong> <code className="error-code">{error.code}</code>
          </p>
          <p className="error-message">{error.message}</p>
        </div>
      ) : null}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="param-submit">
          {busy ? 'Saving…' : mode === 'create' ? 'Create parameter' : 'Save new version'}
        </button>
        <Link to={mode === 'edit' ? withQuery('/parameters/view', { name: d.name }) : withQuery('/parameters', { path: parentOf(d.name || '/') })} className="button button-quiet">
          Cancel
        </Link>
      </div>
    </form>
  );
}
