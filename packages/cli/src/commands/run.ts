import type { Command } from 'commander';
import { CancelCommandCommand, ListCommandInvocationsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';
import { followCommand } from '../run/follow.js';
import { sendInput, UsageError, type RunFlags } from '../run/parse.js';
import { JsonRenderer, TextRenderer, type Renderer } from '../run/render.js';
import { ServiceError, SsmJsonCaller } from '../run/signed.js';

interface RunOptions extends ClientOptions, RunFlags {
  follow?: boolean;
  prefix: boolean;
  json?: boolean;
}

const EXAMPLES = `
Targets (each --targets narrows the nodes; values of one target are alternatives):
  tag:KEY=V1,V2                nodes tagged KEY with one of the values
  tag-key=KEY                  nodes that have the tag KEY
  InstanceIds=mi-…,mi-…        these nodes (InstanceIds=* for every node)
  resource-groups:Name=GROUP   the nodes of a resource group
  Key=tag:Env,Values=prod      the AWS CLI's form; a JSON list of {"Key","Values"} also works

Parameters: name=value (a name given again adds to its list; the value may contain '=')
  or a JSON object: '{"commands":["uptime","df -h"]}'

With --follow, every line a node writes is shown as it arrives, prefixed with the node
("mi-…| " for stdout, "mi-…! " for stderr), with a line when a node's status changes and a
summary at the end; the exit status is 0 only if the command succeeded on every node.
Ctrl-C cancels the command (and keeps following until it ends); a second Ctrl-C stops at once.
With --no-prefix, stdout carries exactly what the nodes wrote to stdout (their stderr and the
progress go to stderr). With --json, --follow prints JSON lines (Sent, Status, Output, Done).

Examples:
  capstan run --targets tag:Env=prod --document AWS-RunShellScript --parameters commands='uptime' --follow
  capstan run --instance-ids mi-0123456789abcdef0 --document AWS-RunShellScript \\
      --parameters commands='apt-get update' --parameters commands='apt-get -y upgrade' --follow
`;

export function registerRunCommands(program: Command): void {
  const cmd = withClientOptions(program.command('run').description('run a document on nodes (SendCommand), and with --follow stream their output as it arrives'))
    .option('--targets <target...>', 'which nodes, by tag, id or resource group (up to 5; see below)')
    .option('--instance-ids <id...>', 'these nodes (up to 50)')
    .option('--document <name>', 'the document to run, e.g. AWS-RunShellScript')
    .option('--document-version <version>', 'a version number, $LATEST or $DEFAULT')
    .option('--parameters <name=value...>', "the document's parameters (see below)")
    .option('--max-concurrency <n>', 'how many nodes run it at once: a number or a percentage')
    .option('--max-errors <n>', 'how many failures before the rest are not started: a number or a percentage')
    .option('--timeout-seconds <s>', 'how long a node may take to start the command (30–2592000)')
    .option('--comment <text>', 'a comment kept with the command (up to 100 characters)')
    .option('--follow', "stream the nodes' output and status until the command ends")
    .option('--no-prefix', "with --follow: pass the nodes' output through unprefixed")
    .option('--json', 'print JSON: the Command (like aws ssm send-command), or with --follow JSON lines')
    .addHelpText('after', EXAMPLES);
  // Usage mistakes exit 2, before anything is sent; help and version still exit 0.
  cmd.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  cmd.action(async (o: RunOptions) => {
    let input;
    try {
      input = sendInput(o);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      console.error(`capstan run: ${e.message}\n(see capstan run --help)`);
      process.exitCode = 2;
      return;
    }
    const config = resolveClientConfig(o);
    // The SDK clients' own default chain (environment, profiles, SSO, metadata), shared by the hand-signed calls.
    const credentials = defaultProvider();
    const ssm = new SSMClient({ ...config, credentials });
    const { Command: sent } = await ssm.send(new SendCommandCommand(input));
    const commandId = sent!.CommandId!;
    if (!o.follow) {
      console.log(o.json ? JSON.stringify({ Command: sent }, null, 2) : commandId);
      return;
    }
    const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';
    const renderer: Renderer = o.json ? new JsonRenderer(process.stdout) : new TextRenderer({ prefix: o.prefix, color, out: process.stdout, err: process.stderr });
    renderer.sent({
      CommandId: commandId,
      DocumentName: sent!.DocumentName ?? input.DocumentName,
      Status: sent!.Status ?? 'Pending',
      StatusDetails: sent!.StatusDetails ?? '',
      TargetCount: sent!.TargetCount ?? 0,
      CompletedCount: sent!.CompletedCount ?? 0,
      ErrorCount: sent!.ErrorCount ?? 0,
      DeliveryTimedOutCount: sent!.DeliveryTimedOutCount ?? 0,
    });

    let interrupts = 0;
    const onInterrupt = () => {
      if (++interrupts > 1) {
        process.stderr.write(`capstan run: stopped following command ${commandId} (it may still be running)\n`);
        process.exit(130);
      }
      process.stderr.write(`capstan run: cancelling command ${commandId}; following until it ends (Ctrl-C again to stop at once)\n`);
      ssm.send(new CancelCommandCommand({ CommandId: commandId })).catch((e: Error) => process.stderr.write(`capstan run: CancelCommand failed: ${e.name}: ${e.message}\n`));
    };
    process.on('SIGINT', onInterrupt);
    // Output piped into something that stopped reading (`| head`): stop quietly, as if by SIGPIPE.
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(141);
      throw e;
    });
    try {
      const { allSucceeded } = await followCommand(commandId, {
        caller: new SsmJsonCaller(config.endpoint, config.region, credentials),
        renderer,
        durations: () => durations(ssm, commandId),
      });
      process.exitCode = allSucceeded ? 0 : 1;
    } catch (e) {
      if (e instanceof ServiceError && e.name === 'UnknownOperationException') {
        throw new Error(`command ${commandId} was sent, but ${config.endpoint} cannot be followed: it does not answer CapstanFollowCommand (is it a Capstan server?)`);
      }
      if (e instanceof Error) e.message = `following command ${commandId}: ${e.message}`;
      throw e;
    } finally {
      process.off('SIGINT', onInterrupt);
    }
  });
}

/** Each invocation's run time: from its first step's start to its last step's end (for the first 2,500 nodes). */
async function durations(ssm: SSMClient, commandId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, MaxResults: 50, ...(token ? { NextToken: token } : {}) }));
    for (const inv of page.CommandInvocations ?? []) {
      const starts = (inv.CommandPlugins ?? []).map((p) => p.ResponseStartDateTime?.getTime()).filter((t): t is number => t !== undefined && t > 0);
      const ends = (inv.CommandPlugins ?? []).map((p) => p.ResponseFinishDateTime?.getTime()).filter((t): t is number => t !== undefined && t > 0);
      if (inv.InstanceId && starts.length && ends.length) out.set(inv.InstanceId, Math.max(0, Math.max(...ends) - Math.min(...starts)));
    }
    token = page.NextToken;
  } while (token && ++pages < 50);
  return out;
}
