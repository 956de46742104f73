/** Starting points for a new document, one per format; written for Capstan. */
export const TEMPLATES: Record<'JSON' | 'YAML', string> = {
  JSON: `{
  "schemaVersion": "2.2",
  "description": "Say hello from each node.",
  "parameters": {
    "name": {
      "type": "String",
      "default": "world",
      "description": "Who to greet.",
      "allowedPattern": "^[A-Za-z0-9 ]{1,40}$"
    }
  },
  "mainSteps": [
    {
      "action": "aws:runShellScript",
      "name": "greet",
      "inputs": {
        "runCommand": ["echo Hello, {{ name }}, from $(hostname)"]
      }
    }
  ]
}
`,
  YAML: `schemaVersion: '2.2'
description: Say hello from each node.
parameters:
  name:
    type: String
    default: world
    description: Who to greet.
    allowedPattern: '^[A-Za-z0-9 ]{1,40}$'
mainSteps:
  - action: aws:runShellScript
    name: greet
    inputs:
      runCommand:
        - echo Hello, {{ name }}, from $(hostname)
`,
};

/** The line a validation message points at, when it names one ("line 4", "at 4:12", "position 57" in JSON). */
export function errorLineOf(message: string, content: string): number | undefined {
  const line = /\bline (\d+)/i.exec(message) ?? /\((\d+):\d+\)/.exec(message) ?? /\bat (\d+):\d+\b/.exec(message);
  if (line) return Number(line[1]);
  const pos = /\bposition (\d+)/i.exec(message);
  if (pos) return content.slice(0, Number(pos[1])).split('\n').length;
  return undefined;
}
