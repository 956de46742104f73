import { useEffect, useRef, useState, type FormEvent } from 'react';
import { ssm } from '../../api/client';
import { describeError } from '../../api/errors';
import type { DocumentDescription, GetDocumentResult } from '../../api/types';
import { CodeEditor, type CodeEditorHandle } from '../../components/CodeEditor';
import { Field } from '../../components/Field';
import { Page } from '../../components/Page';
import { ErrorBox, Loading } from '../../components/Status';
import { useAsync } from '../../lib/useAsync';
import { Link, navigate } from '../../router/router';
import { DOCUMENT_TYPES } from './DocumentsPage';
import { errorLineOf, TEMPLATES } from './templates';

type Format = 'JSON' | 'YAML';
const NAME = /^[a-zA-Z0-9_\-.]{3,128}$/;
const VERSION_NAME = /^[a-zA-Z0-9_\-.]{1,128}$/;

/** Create a document (no name) or add a version to one (name). */
export function DocumentEditorPage({ name }: { name?: string }) {
  const latest = useAsync(
    async (signal) => {
      if (!name) return undefined;
      const d = await ssm<{ Document: DocumentDescription }>('DescribeDocument', { Name: name, DocumentVersion: '$LATEST' }, { signal });
      const format = (d.Document.DocumentFormat === 'YAML' ? 'YAML' : 'JSON') as Format;
      const c = await ssm<GetDocumentResult>('GetDocument', { Name: name, DocumentVersion: '$LATEST', DocumentFormat: format }, { signal });
      return { description: d.Document, format, content: c.Content ?? '' };
    },
    [name],
  );
  const title = name ? `New version of ${name}` : 'Create document';
  return (
    <Page title={title} heading={name ? <>New version of <span className="break">{name}</span></> : title} testId="document-editor-page">
      {latest.loading && name ? <Loading /> : null}
      {latest.error !== undefined ? <ErrorBox error={latest.error} retry={latest.reload} /> : null}
      {!name ? <Editor /> : null}
      {name && latest.data ? <Editor name={name} initialFormat={latest.data.format} initialContent={latest.data.content} latestVersion={latest.data.description.LatestVersion} /> : null}
    </Page>
  );
}

function Editor({ name, initialFormat = 'YAML', initialContent, latestVersion }: { name?: string; initialFormat?: Format; initialContent?: string; latestVersion?: string | undefined }) {
  const creating = name === undefined;
  const [docName, setDocName] = useState('');
  const [type, setType] = useState('Command');
  const [format, setFormat] = useState<Format>(initialFormat);
  const [content, setContent] = useState(initialContent ?? TEMPLATES[initialFormat]);
  const [edited, setEdited] = useState(false);
  const [versionName, setVersionName] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [targetType, setTargetType] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [converting, setConverting] = useState(false);
  const [error, setError] = useState<{ code: string; message: string }>();
  const editor = useRef<CodeEditorHandle>(null);
  const errorBox = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (error) errorBox.current?.focus();
  }, [error]);

  // An untouched editor follows the format: the template, or the server's conversion of the latest version.
  const changeFormat = async (f: Format) => {
    setFormat(f);
    if (edited) return;
    if (creating) {
      setContent(TEMPLATES[f]);
      return;
    }
    setConverting(true);
    try {
      const c = await ssm<GetDocumentResult>('GetDocument', { Name: name, DocumentVersion: '$LATEST', DocumentFormat: f });
      setContent(c.Content ?? '');
    } catch (e) {
      setError(describeError(e));
    } finally {
      setConverting(false);
    }
  };

  const nameError = touched && creating ? (!NAME.test(docName) ? '3 to 128 letters, digits, _ - or .' : /^(aws|amazon|amzn)/i.test(docName) ? 'Names beginning with aws, amazon or amzn are reserved.' : undefined) : undefined;
  const versionNameError = touched && versionName && !VERSION_NAME.test(versionName) ? 'Letters, digits, _ - or . only.' : undefined;
  const contentError = touched && !content.trim() ? 'The document needs content.' : undefined;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    setError(undefined);
    if ((creating && (!NAME.test(docName) || /^(aws|amazon|amzn)/i.test(docName))) || (versionName && !VERSION_NAME.test(versionName)) || !content.trim()) return;
    setBusy(true);
    try {
      const common = {
        Content: content,
        DocumentFormat: format,
        ...(versionName ? { VersionName: versionName } : {}),
        ...(displayName ? { DisplayName: displayName } : {}),
        ...(targetType ? { TargetType: targetType } : {}),
      };
      if (creating) {
        await ssm('CreateDocument', { Name: docName, DocumentType: type, ...common });
        navigate(`/documents/view/${encodeURIComponent(docName)}`);
      } else {
        const r = await ssm<{ DocumentDescription?: DocumentDescription }>('UpdateDocument', { Name: name, DocumentVersion: '$LATEST', ...common });
        navigate(`/documents/view/${encodeURIComponent(name)}${r.DocumentDescription?.DocumentVersion ? `?version=${r.DocumentDescription.DocumentVersion}` : ''}`);
      }
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  const errorLine = error ? errorLineOf(error.message, content) : undefined;

  return (
    <form className="form doc-form" onSubmit={submit} noValidate data-testid="doc-form">
      <div className="row">
        {creating ? (
          <Field label="Name" required error={nameError}>
            {(ids) => <input {...ids} value={docName} spellCheck={false} onChange={(e) => setDocName(e.target.value)} data-testid="doc-name" />}
          </Field>
        ) : null}
        {creating ? (
          <Field label="Type" required>
            {(ids) => (
              <select {...ids} value={type} onChange={(e) => setType(e.target.value)} data-testid="doc-type">
                {DOCUMENT_TYPES.filter((t) => t !== 'ChangeCalendar').map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        <Field label="Format">
          {(ids) => (
            <select {...ids} value={format} onChange={(e) => void changeFormat(e.target.value as Format)} data-testid="doc-format">
              <option value="YAML">YAML</option>
              <option value="JSON">JSON</option>
            </select>
          )}
        </Field>
        <Field label="Version name" hint="Optional, such as 1.2.0." error={versionNameError}>
          {(ids) => <input {...ids} value={versionName} onChange={(e) => setVersionName(e.target.value)} data-testid="doc-version-name" />}
        </Field>
      </div>
      <details className="more-options">
        <summary>More options</summary>
        <div className="row">
          <Field label="Display name">
            {(ids) => <input {...ids} value={displayName} onChange={(e) => setDisplayName(e.target.value)} data-testid="doc-display-name" />}
          </Field>
          <Field label="Target type" hint="Such as / or /AWS::EC2::Instance.">
            {(ids) => <input {...ids} value={targetType} onChange={(e) => setTargetType(e.target.value)} data-testid="doc-target-type" />}
          </Field>
        </div>
      </details>
      <div className={`editor-layout${error ? ' with-error' : ''}`}>
        <div className="field">
          <label htmlFor="doc-content">
            Content{converting ? <span className="muted"> (converting…)</span> : null}
            {!creating && latestVersion ? <span className="muted"> — starting from version {latestVersion}</span> : null}
          </label>
          <CodeEditor
            ref={editor}
            id="doc-content"
            value={content}
            onChange={(v) => {
              setContent(v);
              setEdited(true);
            }}
            errorLine={errorLine}
            invalid={!!error || !!contentError}
            describedBy={error ? 'doc-error' : contentError ? 'doc-content-error' : undefined}
            testId="doc-editor"
          />
          {contentError ? (
            <p className="field-error" id="doc-content-error">
              {contentError}
            </p>
          ) : null}
        </div>
        {error ? (
          <div className="error-box editor-error" role="alert" id="doc-error" tabIndex={-1} ref={errorBox} data-testid="doc-error">
            <p>
              <strong>The server refused this document.</strong>
            </p>
            <p>
              <code className="error-code" data-testid="doc-error-code">
                {error.code}
              </code>
            </p>
            <p className="error-message" data-testid="doc-error-message">
              {error.message}
            </p>
            {errorLine ? (
              <button type="button" className="button button-small" onClick={() => editor.current?.goToLine(errorLine)}>
                Go to line {errorLine}
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy} data-testid="doc-submit">
          {busy ? 'Saving…' : creating ? 'Create document' : 'Save new version'}
        </button>
        <Link to={creating ? '/documents' : `/documents/view/${encodeURIComponent(name!)}`} className="button button-quiet">
          Cancel
        </Link>
      </div>
    </form>
  );
}
