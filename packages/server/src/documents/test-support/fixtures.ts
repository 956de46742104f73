import type { CallContext, Core } from '../../protocol/context.js';

export { failure } from '../../test-support/failure.js';

/** A valid Command document (schema 2.2) whose description and parameter default carry `message`. */
export const commandContent = (message: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    schemaVersion: '2.2',
    description: `Say ${message}`,
    parameters: { Message: { type: 'String', default: message, description: 'What to say' } },
    mainSteps: [{ action: 'aws:runShellScript', name: 'say', inputs: { runCommand: ['echo {{ Message }}'] } }],
    ...extra,
  });

/** The same kind of document written in YAML. */
export const yamlCommand = (message: string) =>
  [`schemaVersion: '2.2'`, `description: Say ${message}`, 'mainSteps:', '  - action: aws:runShellScript', '    name: say', '    inputs:', '      runCommand:', `        - echo ${message}`, ''].join('\n');

/** A Windows-only Command document. */
export const powershellContent = (message: string) =>
  JSON.stringify({ schemaVersion: '2.2', description: `Windows ${message}`, mainSteps: [{ action: 'aws:runPowerShellScript', name: 'run', inputs: { runCommand: [`Write-Output ${message}`] } }] });

/** A minimal Automation runbook. */
export const runbookContent = (message: string) =>
  JSON.stringify({ schemaVersion: '0.3', description: `Runbook ${message}`, mainSteps: [{ name: 'wait', action: 'aws:sleep', inputs: { Duration: 'PT1S' } }] });

/** A change calendar (iCalendar text) with the given events (`DTSTART`/`DTEND` lines and more). */
export function calendarContent(type: 'DEFAULT_OPEN' | 'DEFAULT_CLOSED', events: string[][]): string {
  const lines = ['BEGIN:VCALENDAR', 'PRODID:-//Capstan//Tests//EN', 'VERSION:2.0', `X-CALENDAR-TYPE:${type}`, 'X-WR-CALDESC:test calendar'];
  events.forEach((props, i) => lines.push('BEGIN:VEVENT', `UID:event-${i}@capstan`, 'DTSTAMP:20240101T000000Z', `SUMMARY:event ${i}`, ...props, 'END:VEVENT'));
  lines.push('END:VCALENDAR', '');
  return lines.join('\r\n');
}

/** A call context for service functions other capabilities use (resolveDocument). */
export function callAs(core: Core, accountId: string, region = 'us-east-1'): CallContext {
  return {
    requestId: 'test',
    accountId,
    region,
    principal: { kind: 'user', accountId, arn: `arn:aws:iam::${accountId}:user/admin`, userId: 'AIDATEST', name: 'admin', accessKeyId: 'AKIATEST', tags: {}, policies: [] },
    sourceIp: '127.0.0.1',
    userAgent: 'test',
    now: Date.now(),
    core,
    authorize: async () => undefined,
    isAllowed: async () => true,
  };
}
