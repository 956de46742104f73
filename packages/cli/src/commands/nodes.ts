import type { Command } from 'commander';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { resolveClientConfig, withClientOptions, type ClientOptions } from '../client-config.js';
import { SsmJsonCaller } from '../run/signed.js';

interface Diagnosis {
  InstanceId: string;
  PingStatus: string;
  LastPingDateTime?: number;
  RegistrationDate: number;
  DisconnectedAt?: number;
  DisconnectReason?: string;
  LastAgentError?: string;
  LastAgentErrorAt?: number;
  KeyRotatedAt?: number;
  KeyRotationPending: boolean;
  AgentVersion: string;
  Diagnosis: string;
  NextSteps: string[];
}

const when = (epochSeconds: number | undefined) => (epochSeconds === undefined ? '-' : new Date(epochSeconds * 1000).toISOString());

export function registerNodeCommands(program: Command): void {
  const nodes = program.command('nodes').description('managed nodes as the server sees them');
  withClientOptions(nodes.command('diagnose <instance-id>').description('why a node is (not) Online: what the server saw and what the agent last reported')).action(
    async (instanceId: string, o: ClientOptions & { json?: boolean }) => {
      const config = resolveClientConfig(o);
      const d = await new SsmJsonCaller(config.endpoint, config.region, defaultProvider()).call<Diagnosis>('CapstanDiagnoseNode', { InstanceId: instanceId });
      const rows: [string, string][] = [
        ['node', d.InstanceId],
        ['status', d.PingStatus],
        ['last ping', when(d.LastPingDateTime)],
        ['registered', when(d.RegistrationDate)],
        ['channel closed', d.DisconnectedAt !== undefined ? `${when(d.DisconnectedAt)} ${d.DisconnectReason ?? ''}` : '-'],
        ['agent reported', d.LastAgentError ? `${when(d.LastAgentErrorAt)} ${d.LastAgentError}` : '-'],
        ['agent version', d.AgentVersion || '-'],
        ['key rotated', d.KeyRotationPending ? 'rotation in progress' : when(d.KeyRotatedAt)],
      ];
      for (const [k, v] of rows) console.log(`${k.padEnd(15)} ${v}`);
      console.log('');
      console.log(d.Diagnosis);
      for (const s of d.NextSteps) console.log(`  - ${s}`);
      process.exitCode = d.PingStatus === 'Online' ? 0 : 1;
    },
  );
}
