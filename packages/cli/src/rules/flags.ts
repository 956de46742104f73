import { readFileSync } from 'node:fs';
import { UsageError } from '../run/parse.js';

/** `file://path` reads a file, as the AWS CLI does; anything else is the text itself. */
export const textOrFile = (text: string): string => (text.startsWith('file://') ? readFileSync(text.slice(7), 'utf8') : text);

/** `--run-command-targets tag:Env=prod,staging` (or `InstanceIds=mi-…,mi-…`), repeated for more. */
export function runCommandTargets(list: string[]): { Key: string; Values: string[] }[] {
  return list.map((text) => {
    const eq = text.indexOf('=');
    if (eq < 1 || eq === text.length - 1) throw new UsageError(`--run-command-targets ${text}: expected KEY=V1,V2, e.g. tag:Env=prod or InstanceIds=mi-0123456789abcdef0`);
    return { Key: text.slice(0, eq), Values: text.slice(eq + 1).split(',') };
  });
}

/** `--input-path-map name=$.detail.x`, repeated. */
export function inputPaths(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const text of list) {
    const eq = text.indexOf('=');
    if (eq < 1) throw new UsageError(`--input-path-map ${text}: expected NAME=$.json.path, e.g. node=$.detail.instance-id`);
    out[text.slice(0, eq)] = text.slice(eq + 1);
  }
  return out;
}

export interface TargetFlags {
  id: string;
  arn: string;
  roleArn: string;
  input?: string;
  inputPath?: string;
  inputTemplate?: string;
  inputPathMap?: string[];
  runCommandTargets?: string[];
}

/** One target from `capstan rules add-target`'s flags, in PutTargets' shape. */
export function targetOf(o: TargetFlags): Record<string, unknown> {
  const given = [o.input, o.inputPath, o.inputTemplate].filter((x) => x !== undefined).length;
  if (given > 1) throw new UsageError('give at most one of --input, --input-path and --input-template');
  if (o.inputPathMap?.length && o.inputTemplate === undefined) throw new UsageError('--input-path-map goes with --input-template');
  return {
    Id: o.id,
    Arn: o.arn,
    RoleArn: o.roleArn,
    ...(o.input !== undefined ? { Input: textOrFile(o.input) } : {}),
    ...(o.inputPath !== undefined ? { InputPath: o.inputPath } : {}),
    ...(o.inputTemplate !== undefined ? { InputTransformer: { InputTemplate: textOrFile(o.inputTemplate), ...(o.inputPathMap?.length ? { InputPathsMap: inputPaths(o.inputPathMap) } : {}) } } : {}),
    ...(o.runCommandTargets?.length ? { RunCommandParameters: { RunCommandTargets: runCommandTargets(o.runCommandTargets) } } : {}),
  };
}
