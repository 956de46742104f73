import { parseDocument, stringify } from 'yaml';
import { invalidContent } from './shared.js';
import type { DocumentFormat } from './index.js';

/** Parses document content in its stated format; TEXT content is returned as it is. */
export function parseContent(content: string, format: DocumentFormat): unknown {
  if (format === 'TEXT') return content;
  if (format === 'JSON') return parseJson(content);
  if (format === 'YAML') return parseYaml(content);
  throw invalidContent(`Document format ${String(format)} is not supported; use JSON, YAML or TEXT.`);
}

function parseJson(content: string): unknown {
  try {
    return JSON.parse(content);
  } catch (e) {
    throw invalidContent(`The content is not valid JSON: ${(e as Error).message}${jsonPosition(content, e as Error)}`);
  }
}

/** V8 reports an offset; people look for a line and a column. */
function jsonPosition(content: string, e: Error): string {
  const m = /position (\d+)/.exec(e.message);
  if (!m) return '';
  const before = content.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

function parseYaml(content: string): unknown {
  // One document only: a second `---` document would be silently dropped by a lenient reader.
  const doc = parseDocument(content, { prettyErrors: true, uniqueKeys: true, strict: true });
  const problem = doc.errors[0];
  if (problem) throw invalidContent(`The content is not valid YAML: ${firstLine(problem.message)}`);
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw invalidContent(`The content is not valid YAML: ${firstLine((e as Error).message)}`);
  }
}

// The YAML library follows its first line with a snippet of the source; the line alone says enough.
const firstLine = (text: string) => text.split('\n')[0]!.trim().replace(/:$/, '');

/**
 * Converts content between JSON and YAML. The content must be valid in `from`; TEXT content
 * (a change calendar) has no other form and comes back unchanged.
 */
export function convertContent(content: string, from: DocumentFormat, to: DocumentFormat): string {
  if (from === 'TEXT' || to === 'TEXT') {
    if (from !== 'TEXT') parseContent(content, from);
    return content;
  }
  const value = parseContent(content, from);
  if (from === to) return content;
  if (to === 'JSON') return JSON.stringify(value, null, 2);
  // lineWidth 0: folding long lines would change nothing in meaning but make diffs noisy.
  return stringify(value, { lineWidth: 0, minContentWidth: 0 });
}
