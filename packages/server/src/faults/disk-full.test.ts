/**
 * A full output store: a real `capstan server` whose data directory (its SQLite database, where
 * command output is stored) is a small tmpfs, and a real agent whose command prints 10 MB. The
 * output stops being stored while the room kept for the database is left; the invocation ends
 * Failed saying why, the server keeps answering and writing everything else, and once space is
 * freed output is stored again. Needs root (mount).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateActivationCommand,
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  GetParameterCommand,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
  type GetCommandInvocationCommandOutput,
} from '@aws-sdk/client-ssm';
import { OUTPUT_STORE_RESERVE } from '../commands/output-space.js';
import { AgentProcess, buildAgentBundle } from '../test-support/agent-process.js';
import { rootSkipReason } from '../test-support/netns.js';
import { ServerProcess } from '../test-support/server-process.js';
import { rawCall } from '../test-support/sign.js';
import { until } from '../test-support/until.js';

const MiB = 1024 * 1024;
const ENDED = ['Success', 'Failed', 'TimedOut', 'Cancelled'];
const skip = rootSkipReason('mounts a tmpfs as the server’s data directory');

describe('a full output store', { skip: skip ?? false }, () => {
  const work = mkdtempSync(join(tmpdir(), 'capstan-disk-full-'));
  const dataDir = join(work, 'data');
  // Filling the room above the reserve, so that the command's output is what crosses into it.
  const ballast = join(dataDir, 'ballast');
  let mounted = false;
  let server: ServerProcess;
  let ssm: SSMClient;
  let agent: AgentProcess;

  const free = () => {
    const s = statfsSync(dataDir);
    return s.bavail * s.bsize;
  };
  const run = async (commands: string[]) => (await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [agent.instanceId], Parameters: { commands } }))).Command!.CommandId!;
  const ended = (commandId: string) => {
    let last: GetCommandInvocationCommandOutput | undefined;
    return until(
      `command ${commandId} to end`,
      async () => ((last = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: agent.instanceId }))), ENDED.includes(last.Status ?? '') ? last : undefined),
      { ms: 45_000, every: 250, detail: () => `last: ${last?.Status} ${last?.StatusDetails}; free ${free()} bytes\nserver:\n${server.output.slice(-3000)}\nagent:\n${agent.output.slice(-2000)}` },
    );
  };
  const traceOutput = async (commandId: string) => (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }))).CommandInvocations?.[0]?.TraceOutput ?? '';
  const storedStdout = async (commandId: string) => {
    const res = await rawCall({ endpoint: server.url, service: 'ssm', credentials: server.admin, method: 'GET', path: `/capstan/v1/output/${commandId}/${agent.instanceId}/0/stdout` });
    assert.equal(res.status, 200, res.text);
    return res.text;
  };

  before(async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    // The reserve, the fresh database (about 2 MiB with its WAL) and 14 MiB of room.
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${OUTPUT_STORE_RESERVE / MiB + 16}m,mode=0700`, 'capstan-faults', dataDir]);
    mounted = true;
    const [s, bundle] = await Promise.all([ServerProcess.start({ dataDir }), buildAgentBundle(join(work, 'agent-bundle'))]);
    server = s;
    ssm = new SSMClient(server.clientConfig());
    const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
    // The agent's own state (its outbox holds the 10 MB until the server acknowledges it) is on the ordinary disk.
    const stateDir = join(work, 'agent');
    mkdirSync(stateDir);
    agent = await AgentProcess.register({ bundle, endpoint: server.url, activationId: ActivationId!, activationCode: ActivationCode!, stateDir });
    await agent.start();
  });

  after(async () => {
    await agent?.kill();
    ssm?.destroy();
    await server?.stop();
    if (mounted) {
      try {
        execFileSync('umount', [dataDir]);
      } catch {
        // still busy (a process that would not stop): detach it now, freed once the last file closes
        execFileSync('umount', ['-l', dataDir]);
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  test('10 MB of output into 4 MiB of room: Failed saying why, the server keeps working, and output is stored again once space is freed', async () => {
    // Leave 4 MiB above the reserve: less than the output, more than the rest of the test writes.
    writeFileSync(ballast, Buffer.alloc(Math.max(0, free() - OUTPUT_STORE_RESERVE - 4 * MiB)));
    const roomBefore = free() - OUTPUT_STORE_RESERVE;
    assert.ok(roomBefore > 3 * MiB && roomBefore < 5 * MiB, `4 MiB of room above the reserve (${roomBefore} bytes)`);

    const big = await run(['head -c 10485760 /dev/zero | tr "\\0" x', 'echo', 'echo big done >&2']);
    const done = await ended(big);
    assert.equal(done.Status, 'Failed');
    assert.equal(done.StatusDetails, 'Failed');
    assert.equal(done.ResponseCode, 0, 'the script itself succeeded');
    assert.match(done.StandardErrorContent ?? '', /^big done\nCapstan stopped storing the output of step "0\.aws:runShellScript" \(stdout from byte \d+\): the server's data directory has less than 32 MiB free, the room kept for its database\./);
    const trace = await traceOutput(big);
    assert.match(trace, /^Capstan stopped storing the output of step "0\.aws:runShellScript" \(stdout from byte (\d+)\).*free space on the server for output to be stored again\.$/);
    const cut = Number(/from byte (\d+)/.exec(trace)![1]);
    const stored = await storedStdout(big);
    assert.equal(stored.length, cut, 'the output up to the piece that found no room was stored, and nothing after it');
    assert.ok(cut > 0 && cut < 4 * MiB, `the cut came within the room (${cut} bytes)`);
    assert.ok(/^x+$/.test(stored), 'what was stored is the output, in order');
    assert.ok(free() > OUTPUT_STORE_RESERVE / 2, `the database kept room to work (${free()} bytes free)`);

    // Still up, still answering, still writing what is not output.
    assert.ok(server.running, 'the server is running');
    const nodes = await ssm.send(new DescribeInstanceInformationCommand({}));
    assert.deepEqual(nodes.InstanceInformationList?.map((n) => n.InstanceId), [agent.instanceId]);
    await ssm.send(new PutParameterCommand({ Name: '/faults/disk-full', Value: 'written while output is refused', Type: 'String' }));
    assert.equal((await ssm.send(new GetParameterCommand({ Name: '/faults/disk-full' }))).Parameter?.Value, 'written while output is refused');
    // Below the reserve a small output is refused too, and says so. (How much of the room the
    // big output took depends on SQLite's checkpoints: take what is left of it.)
    writeFileSync(`${ballast}-2`, Buffer.alloc(Math.max(0, free() - OUTPUT_STORE_RESERVE + MiB)));
    assert.ok(free() < OUTPUT_STORE_RESERVE, 'below the reserve');
    const small = await run(['echo small']);
    const refused = await ended(small);
    assert.equal(refused.StatusDetails, 'Failed');
    assert.match(await traceOutput(small), /^Capstan stopped storing the output of step "0\.aws:runShellScript" \(stdout from byte 0\)/);

    // Space freed: output is stored again, whole.
    rmSync(ballast);
    rmSync(`${ballast}-2`);
    const after = await run(['echo after the space was freed']);
    const ok = await ended(after);
    assert.equal(ok.Status, 'Success', ok.StandardErrorContent);
    assert.equal(ok.StandardOutputContent, 'after the space was freed\n');
    assert.equal(await traceOutput(after), '');
    assert.equal(await storedStdout(after), 'after the space was freed\n');
    assert.ok(server.running);
    assert.equal(server.starts, 1, 'the server never restarted');
  });
});
