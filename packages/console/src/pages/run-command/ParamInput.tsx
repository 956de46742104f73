import { Field } from '../../components/Field';
import { listItems, type ParamSpec } from './params';

/** One document parameter's control, chosen from its declared type and display hints. */
export function ParamInput({
  spec,
  value,
  error,
  onChange,
  testIdPrefix = 'run-param-',
}: {
  spec: ParamSpec;
  value: string;
  error: string | undefined;
  onChange: (v: string) => void;
  /** Each form's fields have their own stable test ids (`run-param-…`, `auto-param-…`). */
  testIdPrefix?: string;
}) {
  const required = spec.defaultText === undefined;
  const testId = `${testIdPrefix}${spec.name}`;
  const hint = (
    <>
      {spec.description}
      {spec.type !== 'String' ? <span className="muted"> ({spec.type === 'StringList' ? 'one value a line' : spec.type})</span> : null}
      {spec.defaultText !== undefined && spec.defaultText !== '' && !/default/i.test(spec.description ?? '') ? <span className="muted"> Default: {spec.defaultText.split('\n').join(', ')}</span> : null}
    </>
  );

  if (spec.type === 'StringList' && spec.allowedValues) {
    const chosen = new Set(listItems(value));
    return (
      <fieldset className={`field${error ? ' field-invalid' : ''}`} data-testid={testId}>
        <legend>
          {spec.name}
          {required ? <span className="required"> *</span> : null}
        </legend>
        <p className="hint">{hint}</p>
        {spec.allowedValues.map((v) => (
          <label key={v} className="check">
            <input
              type="checkbox"
              checked={chosen.has(v)}
              onChange={(e) => {
                const next = spec.allowedValues!.filter((x) => (x === v ? e.target.checked : chosen.has(x)));
                onChange(next.join('\n'));
              }}
            />
            {v}
          </label>
        ))}
        {error ? <p className="field-error">{error}</p> : null}
      </fieldset>
    );
  }

  return (
    <Field label={<span className="mono">{spec.name}</span>} hint={hint} error={error} required={required}>
      {(ids) => {
        if (spec.allowedValues) {
          return (
            <select {...ids} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
              {required || !spec.allowedValues.includes(value) ? <option value="">Choose…</option> : null}
              {spec.allowedValues.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          );
        }
        if (spec.type === 'Boolean') {
          return (
            <select {...ids} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId}>
              {value !== 'true' && value !== 'false' ? <option value="">Choose…</option> : null}
              <option value="true">true</option>
              <option value="false">false</option>
            </select>
          );
        }
        if (spec.type === 'Integer') {
          return <input {...ids} type="text" inputMode="numeric" value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />;
        }
        const multiline = spec.type === 'StringList' || spec.type === 'StringMap' || spec.type === 'MapList' || spec.displayType === 'textarea';
        if (multiline) {
          return <textarea {...ids} className="mono" rows={spec.type === 'StringList' || spec.displayType === 'textarea' ? 6 : 4} spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />;
        }
        return <input {...ids} type="text" spellCheck={false} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />;
      }}
    </Field>
  );
}
