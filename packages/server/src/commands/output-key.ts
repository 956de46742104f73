/** Where AWS puts a step's stream: PREFIX/COMMAND/NODE/PLUGIN/STEP/stdout, colons dropped from the plugin and step. */
export function outputKey(prefix: string, commandId: string, instanceId: string, action: string, step: string, stream: 'stdout' | 'stderr'): string {
  const parts = [commandId, instanceId, action.replace(/:/g, ''), step.replace(/:/g, ''), stream];
  return prefix ? `${prefix.replace(/\/+$/, '')}/${parts.join('/')}` : parts.join('/');
}
