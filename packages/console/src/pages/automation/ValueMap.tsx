/**
 * A map of names to values as AWS sends them (Parameters, Outputs: lists of strings; a step's
 * Inputs: one string each). One item shows as it is; several as a list.
 */
export function ValueMap({ values, empty, testId }: { values: Record<string, string[] | string> | undefined; empty: string; testId?: string }) {
  const entries = Object.entries(values ?? {});
  if (!entries.length) {
    return (
      <p className="empty" data-testid={testId}>
        {empty}
      </p>
    );
  }
  return (
    <dl className="facts value-map" data-testid={testId}>
      {entries.map(([k, v]) => {
        const items = Array.isArray(v) ? v : [v];
        return (
          <div key={k} className="value-entry" data-key={k}>
            <dt className="mono">{k}</dt>
            <dd>
              {items.length === 0 ? <span className="muted">(empty list)</span> : null}
              {items.length === 1 ? <code className="wrap value-text">{items[0]}</code> : null}
              {items.length > 1 ? (
                <ul className="plain">
                  {items.map((x, i) => (
                    <li key={i}>
                      <code className="wrap value-text">{x}</code>
                    </li>
                  ))}
                </ul>
              ) : null}
            </dd>
          </div>
        );
      })}
    </dl>
  );
}
