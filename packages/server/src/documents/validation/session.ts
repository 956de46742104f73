import { checkKind, containsReference, describeValue, fail, isObject, isWholeReference, list, onlyKeys, show, type Kind, type Obj } from './shared.js';

// CapstanFileCopy is Capstan's own: file copies over the session's multiplexer (`capstan cp`).
export const SESSION_TYPES = ['Standard_Stream', 'Port', 'InteractiveCommands', 'NonInteractiveCommands', 'CapstanFileCopy'] as const;
export type SessionType = (typeof SESSION_TYPES)[number];

const INPUTS: Record<string, Kind> = {
  s3BucketName: 'string',
  s3KeyPrefix: 'string',
  s3EncryptionEnabled: 'boolean',
  cloudWatchLogGroupName: 'string',
  cloudWatchEncryptionEnabled: 'boolean',
  cloudWatchStreamingEnabled: 'boolean',
  kmsKeyId: 'string',
  runAsEnabled: 'boolean',
  runAsDefaultUser: 'string',
  idleSessionTimeout: 'string',
  maxSessionDuration: 'string',
  shellProfile: 'map',
};
const COMMAND_PLATFORMS = ['windows', 'linux', 'macos'];
// destinations is Capstan's: several "port" or "host:port" destinations in one session, one per stream.
const PORT_FIELDS = ['portNumber', 'type', 'host', 'localPortNumber', 'destinations'];

/** Session documents (schema 1.0): the session type, its preferences, and what it runs or forwards. */
export function validateSession(doc: Obj): SessionType {
  onlyKeys(doc, ['schemaVersion', 'description', 'sessionType', 'inputs', 'parameters', 'properties'], '');
  const type = doc.sessionType;
  if (type === undefined) fail('', `sessionType is required (one of ${list(SESSION_TYPES)})`);
  if (typeof type !== 'string' || !(SESSION_TYPES as readonly string[]).includes(type)) fail('', `sessionType must be one of ${list(SESSION_TYPES)}, not ${show(type)}`);
  const sessionType = type as SessionType;
  // The service reads a shell session's preferences from its inputs; without them it has none to apply.
  if (doc.inputs === undefined && sessionType === 'Standard_Stream') fail('', 'inputs is required for Standard_Stream session documents');
  if (doc.inputs !== undefined) checkInputs(doc.inputs);
  const properties = doc.properties;
  if (sessionType === 'CapstanFileCopy') {
    if (properties !== undefined) fail('', 'properties does not apply to CapstanFileCopy sessions (the client names each file)');
  } else if (sessionType === 'Standard_Stream') {
    if (properties !== undefined) fail('', 'properties does not apply to Standard_Stream sessions (a shell runs no fixed commands)');
  } else if (properties === undefined) {
    fail('', `properties is required for ${sessionType} sessions (${sessionType === 'Port' ? 'portNumber' : 'the commands to run'})`);
  } else if (!isObject(properties)) {
    fail('', `properties must be an object, not ${describeValue(properties)}`);
  } else if (sessionType === 'Port') {
    checkPort(properties);
  } else {
    checkCommands(properties);
  }
  return sessionType;
}

function checkInputs(inputs: unknown): void {
  if (!isObject(inputs)) fail('', `inputs must be an object of session preferences, not ${describeValue(inputs)}`);
  onlyKeys(inputs, Object.keys(INPUTS), '', 'inputs');
  for (const [name, value] of Object.entries(inputs)) checkKind(value, INPUTS[name]!, '', `inputs.${name}`);
  minutes(inputs.idleSessionTimeout, 'inputs.idleSessionTimeout', 60);
  minutes(inputs.maxSessionDuration, 'inputs.maxSessionDuration', 1440);
  if (isObject(inputs.shellProfile)) {
    onlyKeys(inputs.shellProfile, ['windows', 'linux'], '', 'inputs.shellProfile');
    for (const [os, text] of Object.entries(inputs.shellProfile)) checkKind(text, 'string', '', `inputs.shellProfile.${os}`);
  }
}

/** Session limits are whole minutes written as strings; an empty string leaves the default in place. */
function minutes(value: unknown, field: string, max: number): void {
  if (value === undefined || value === '' || containsReference(value)) return;
  const text = value as string;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= max)) fail('', `${field} must be a whole number of minutes from 1 to ${max}, not ${show(value)}`);
}

function checkPort(properties: Obj): void {
  onlyKeys(properties, PORT_FIELDS, '', 'properties');
  if (properties.portNumber === undefined && properties.destinations === undefined) fail('', 'properties.portNumber (or destinations) is required for Port sessions');
  if (properties.destinations !== undefined) checkKind(properties.destinations, 'stringOrList', '', 'properties.destinations');
  for (const field of ['portNumber', 'localPortNumber']) {
    const value = properties[field];
    if (value === undefined || isWholeReference(value)) continue;
    const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(Number.isInteger(n) && n >= (field === 'localPortNumber' ? 0 : 1) && n <= 65535)) fail('', `properties.${field} must be a port number from 1 to 65535, not ${show(value)}`);
  }
  if (properties.type !== undefined) checkKind(properties.type, 'string', '', 'properties.type', ['LocalPortForwarding']);
  if (properties.host !== undefined) checkKind(properties.host, 'string', '', 'properties.host');
}

/** Command sessions name the commands per operating system; at least one system must be given. */
function checkCommands(properties: Obj): void {
  onlyKeys(properties, COMMAND_PLATFORMS, '', 'properties');
  if (Object.keys(properties).length === 0) fail('', `properties must give the commands for at least one of ${list(COMMAND_PLATFORMS)}`);
  for (const [os, entry] of Object.entries(properties)) {
    const field = `properties.${os}`;
    if (!isObject(entry)) fail('', `${field} must be an object with commands, not ${describeValue(entry)}`);
    onlyKeys(entry, ['commands', 'runAsElevated'], '', field);
    if (entry.commands === undefined) fail('', `${field}.commands is required`);
    checkKind(entry.commands, 'stringOrList', '', `${field}.commands`);
    if (entry.commands === '') fail('', `${field}.commands must not be empty`);
    if (entry.runAsElevated !== undefined) checkKind(entry.runAsElevated, 'boolean', '', `${field}.runAsElevated`);
  }
}
