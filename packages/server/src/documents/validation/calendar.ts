import { fail, invalidContent, invalidSchemaVersion, list, show } from './shared.js';

interface Line {
  number: number;
  name: string;
  params: Record<string, string>;
  value: string;
}

interface Component {
  kind: string;
  line: number;
  props: Map<string, Line[]>;
}

const CALENDAR_TYPES = ['DEFAULT_OPEN', 'DEFAULT_CLOSED'];
const FREQUENCIES = ['SECONDLY', 'MINUTELY', 'HOURLY', 'DAILY', 'WEEKLY', 'MONTHLY', 'YEARLY'];

/**
 * A change calendar is an iCalendar (RFC 5545) text. We check its structure, not every RFC
 * rule: balanced components, VERSION 2.0 and PRODID, and events with a readable start and end,
 * because those are what the calendar's state is computed from.
 */
export function validateCalendar(text: string): { schemaVersion: string; description: string | undefined } {
  const logical = unfold(text);
  if (logical.length === 0) throw invalidContent('The content is not an iCalendar: it is empty; it must begin with BEGIN:VCALENDAR.');
  const first = logical[0]!;
  if (first.text.trim().toUpperCase() !== 'BEGIN:VCALENDAR') {
    throw invalidContent(`The content is not an iCalendar: line ${first.number} must be BEGIN:VCALENDAR, not ${show(first.text)}.`);
  }
  const lines = logical.map(({ number, text: t }) => parseLine(t, number));
  const stack: Component[] = [];
  let calendar: Component | undefined;
  for (const line of lines) {
    const where = `line ${line.number}`;
    if (calendar && stack.length === 0) fail(where, `nothing may follow END:VCALENDAR (found ${show(raw(line))})`);
    if (line.name === 'BEGIN') {
      const kind = line.value.toUpperCase();
      if (stack.length > 0 && kind === 'VCALENDAR') fail(where, 'a VCALENDAR cannot be nested in another component');
      stack.push({ kind, line: line.number, props: new Map() });
      continue;
    }
    const top = stack[stack.length - 1]!;
    if (line.name === 'END') {
      const kind = line.value.toUpperCase();
      if (kind !== top.kind) fail(where, `END:${kind} does not close BEGIN:${top.kind} (opened on line ${top.line})`);
      stack.pop();
      if (kind === 'VEVENT') checkEvent(top);
      if (kind === 'VCALENDAR') calendar = top;
      continue;
    }
    const seen = top.props.get(line.name) ?? [];
    seen.push(line);
    top.props.set(line.name, seen);
  }
  if (!calendar) {
    const open = stack[stack.length - 1]!;
    throw invalidContent(`The iCalendar ends inside BEGIN:${open.kind} (opened on line ${open.line}); it must end with END:VCALENDAR.`);
  }
  return checkCalendar(calendar);
}

function checkCalendar(calendar: Component): { schemaVersion: string; description: string | undefined } {
  const version = one(calendar, 'VERSION');
  if (!version) fail('VCALENDAR', 'VERSION is required (VERSION:2.0)');
  if (version.value.trim() !== '2.0') throw invalidSchemaVersion(`iCalendar VERSION ${show(version.value)} is not supported; change calendars use VERSION:2.0.`);
  if (!one(calendar, 'PRODID')) fail('VCALENDAR', 'PRODID is required');
  const type = one(calendar, 'X-CALENDAR-TYPE');
  if (type && !CALENDAR_TYPES.includes(type.value)) fail(`line ${type.number}`, `X-CALENDAR-TYPE must be ${list(CALENDAR_TYPES)}, not ${show(type.value)}`);
  return { schemaVersion: '2.0', description: one(calendar, 'X-WR-CALDESC')?.value };
}

/** A property that may appear once; a second occurrence is an error rather than a silent override. */
function one(component: Component, name: string): Line | undefined {
  const found = component.props.get(name);
  if (found && found.length > 1) fail(`line ${found[1]!.number}`, `${name} appears more than once in ${component.kind} (first on line ${found[0]!.number})`);
  return found?.[0];
}

function checkEvent(event: Component): void {
  const where = `VEVENT on line ${event.line}`;
  const start = one(event, 'DTSTART');
  if (!start) fail(where, 'DTSTART is required');
  const end = one(event, 'DTEND');
  const duration = one(event, 'DURATION');
  if (!end && !duration) fail(where, 'DTEND (or DURATION) is required: a change calendar event needs an end');
  if (end && duration) fail(where, 'DTEND and DURATION cannot both be given');
  const startAt = dateOf(start, where);
  if (end) {
    const endAt = dateOf(end, where);
    if (endAt <= startAt) fail(where, `DTEND ${end.value} is not after DTSTART ${start.value}`);
  }
  if (duration && !/^[+]?P(\d+W|(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?)$/.test(duration.value)) fail(where, `DURATION ${show(duration.value)} is not an iCalendar duration such as PT1H`);
  for (const rule of event.props.get('RRULE') ?? []) {
    const freq = /(?:^|;)FREQ=([A-Z]+)(?:;|$)/.exec(rule.value)?.[1];
    if (!freq || !FREQUENCIES.includes(freq)) fail(where, `RRULE ${show(rule.value)} needs FREQ= one of ${list(FREQUENCIES)}`);
  }
}

/** DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS, optionally Z); returns a sortable number. */
function dateOf(line: Line, where: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?$/.exec(line.value.trim());
  const isDate = line.params.VALUE === 'DATE';
  if (!m || (isDate && m[4] !== undefined)) fail(where, `${line.name} ${show(line.value)} is not an iCalendar ${isDate ? 'DATE (YYYYMMDD)' : 'DATE-TIME (YYYYMMDDTHHMMSS[Z])'}`);
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((x) => x ?? '0') as string[];
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  const real = date.getUTCFullYear() === Number(y) && date.getUTCMonth() === Number(mo) - 1 && date.getUTCDate() === Number(d) && date.getUTCHours() === Number(h) && date.getUTCMinutes() === Number(mi);
  if (!real || Number(s) > 60) fail(where, `${line.name} ${show(line.value)} is not a real date and time`);
  return date.getTime();
}

/** Joins folded lines: a line break followed by a space or tab continues the line. */
function unfold(text: string): { number: number; text: string }[] {
  const physical = text.split(/\r\n|\n|\r/);
  const logical: { number: number; text: string }[] = [];
  physical.forEach((t, i) => {
    const prev = logical[logical.length - 1];
    if ((t.startsWith(' ') || t.startsWith('\t')) && prev) prev.text += t.slice(1);
    else if (t.trim() !== '') logical.push({ number: i + 1, text: t });
  });
  return logical;
}

/** `NAME;PARAM=value;PARAM="quoted:value":VALUE`: the value starts at the first colon outside quotes. */
function parseLine(text: string, number: number): Line {
  let i = 0;
  let quoted = false;
  for (; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (text[i] === ':' && !quoted) break;
  }
  if (i === text.length) throw invalidContent(`The content is not a valid iCalendar: line ${number} has no NAME:value form (${show(text)}).`);
  const [name, ...params] = text.slice(0, i).split(';');
  if (!/^[A-Za-z0-9-]+$/.test(name!)) throw invalidContent(`The content is not a valid iCalendar: line ${number} has an invalid property name ${show(name)}.`);
  const parsed: Record<string, string> = {};
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw invalidContent(`The content is not a valid iCalendar: line ${number} has a parameter without a value (${show(p)}).`);
    parsed[p.slice(0, eq).toUpperCase()] = p.slice(eq + 1).replace(/^"|"$/g, '');
  }
  return { number, name: name!.toUpperCase(), params: parsed, value: text.slice(i + 1) };
}

const raw = (line: Line) => `${line.name}:${line.value}`;
