import { forwardRef, useImperativeHandle, useRef, type UIEvent } from 'react';

export interface CodeEditorHandle {
  goToLine: (line: number) => void;
}

/**
 * A plain textarea with line numbers. Tab is left alone so the keyboard can still move on;
 * `errorLine` marks the line a validation message points at.
 */
export const CodeEditor = forwardRef<
  CodeEditorHandle,
  { id: string; value: string; onChange: (v: string) => void; errorLine?: number | undefined; describedBy?: string | undefined; invalid?: boolean; testId?: string; rows?: number }
>(function CodeEditor({ id, value, onChange, errorLine, describedBy, invalid, testId, rows = 24 }, ref) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n').length;

  useImperativeHandle(ref, () => ({
    goToLine(line: number) {
      const el = area.current;
      if (!el) return;
      const parts = el.value.split('\n');
      const start = parts.slice(0, Math.max(0, line - 1)).reduce((n, l) => n + l.length + 1, 0);
      el.focus();
      el.setSelectionRange(start, start + (parts[line - 1]?.length ?? 0));
      const lineHeight = parseFloat(getComputedStyle(el).lineHeight) || 20;
      el.scrollTop = Math.max(0, (line - 3) * lineHeight);
    },
  }));

  const sync = (e: UIEvent<HTMLTextAreaElement>) => {
    if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
  };

  return (
    <div className={`code-editor${invalid ? ' invalid' : ''}`}>
      <div className="gutter" ref={gutter} aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => (
          <div key={i} className={errorLine === i + 1 ? 'gutter-error' : undefined}>
            {i + 1}
          </div>
        ))}
      </div>
      <textarea
        id={id}
        ref={area}
        value={value}
        rows={rows}
        wrap="off"
        spellCheck={false}
        autoCapitalize="off"
        autoComplete="off"
        onChange={(e) => onChange(e.target.value)}
        onScroll={sync}
        aria-describedby={describedBy}
        aria-invalid={invalid || undefined}
        data-testid={testId}
      />
    </div>
  );
});
