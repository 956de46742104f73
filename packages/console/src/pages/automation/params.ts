import { listItems, type ParamSpec } from '../run-command/params';

/**
 * StartAutomationExecution's Parameters (a map of lists of strings) from the form's text. A value
 * left at its default is left out, so the runbook's default applies, as when the CLI omits it.
 * StringList is one item a line; StringMap is sent as its JSON text; a MapList as one JSON
 * object per item (what AWS's console and CLI send); Integer and Boolean trimmed.
 */
export function toAutomationParameters(specs: ParamSpec[], values: Record<string, string>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of specs) {
    const text = values[s.name] ?? '';
    if (s.defaultText !== undefined && text === s.defaultText) continue;
    switch (s.type) {
      case 'StringList':
        out[s.name] = listItems(text);
        break;
      case 'MapList': {
        if (text.trim() === '') {
          out[s.name] = [];
          break;
        }
        const parsed = JSON.parse(text) as unknown;
        out[s.name] = (Array.isArray(parsed) ? parsed : [parsed]).map((m) => JSON.stringify(m));
        break;
      }
      case 'StringMap':
        out[s.name] = [text.trim() === '' ? '{}' : JSON.stringify(JSON.parse(text))];
        break;
      case 'Integer':
      case 'Boolean':
        out[s.name] = [text.trim()];
        break;
      default:
        out[s.name] = [text];
    }
  }
  return out;
}

/**
 * The parameter a server's refusal names, so its message can sit by that field. Capstan and AWS
 * word these as `Parameter "Name" …`, `… parameter Name …` or `…: Name`.
 */
export function parameterNamed(message: string, specs: ParamSpec[]): string | undefined {
  const quoted = /[Pp]arameters? "([^"]+)"/.exec(message)?.[1];
  if (quoted && specs.some((s) => s.name === quoted)) return quoted;
  // The longest name first, so `Role` does not claim a message about `AutomationAssumeRole`.
  const byLength = [...specs].sort((a, b) => b.name.length - a.name.length);
  return byLength.find((s) => new RegExp(`(^|[^A-Za-z0-9_])${s.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(message))?.name;
}
