import { z } from 'zod';
import { defineOperation, type AnyOperation } from '../protocol/registry.js';
import { SSM } from '../protocol/services.js';
import { invalidInstanceId } from './errors.js';
import { instanceArn } from './operations.js';
import type { NodeService } from './service.js';
import { nodeService } from './slot.js';
import type { InstanceRow } from './tables.js';

const ago = (now: number, t: number) => {
  const s = Math.max(0, Math.round((now - t) / 1000));
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
};

/** What an agent's own words about its last failure most likely mean. */
function causeOf(error: string): string | undefined {
  if (/pinned|certificate|self.signed|CERT_|TLS|SSL/i.test(error)) return "the node does not trust the server's TLS certificate (check --ca-file/--pin-sha256 against the certificate the server now serves)";
  if (/ECONNREFUSED|connection refused/i.test(error)) return 'nothing listens at the endpoint the node dials (server down, wrong port, or a proxy in between)';
  if (/ENOTFOUND|EAI_AGAIN|getaddrinfo/i.test(error)) return "the node cannot resolve the server's name (DNS)";
  if (/ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|timed out|no answer/i.test(error)) return 'packets from the node do not reach the server (firewall or routing)';
  if (/refused instance|signature does not match|not registered/i.test(error)) return 'the server does not accept the node\'s identity (deregistered, or the key on the node was replaced): register it again';
  return undefined;
}

/**
 * Why a node is (not) Online, from what the server saw (pings, the channel's close) and what the
 * agent reported in its last hello (the failure it hit while away). The agent's own layer by
 * layer check is `capstan agent diagnose` on the node, or the Capstan-DiagnoseAgent document.
 */
export function diagnoseNode(nodes: NodeService, row: InstanceRow, now: number) {
  const ping = nodes.pingStatus(row, now);
  const steps: string[] = [];
  let cause: string;
  if (ping === 'Online') {
    cause = `Online: the channel is open and the last ping came ${ago(now, row.last_ping_at!)}.`;
  } else if (row.last_ping_at === null) {
    cause = `The agent has never connected since the node was registered ${ago(now, row.registered_at)}.`;
    steps.push('On the node: is `capstan agent run` running? (systemctl status capstan-agent)', 'On the node: `capstan agent diagnose` checks the path to the server layer by layer.');
  } else if (row.connected === 1) {
    cause = `The channel looks open but pings stopped ${ago(now, row.last_ping_at)}: the node hangs or the network path dropped without closing the connection. The agent redials after two missed answers.`;
    steps.push('Check the node is up and not overloaded; the agent reconnects by itself once the path works.');
  } else {
    const closed = row.disconnected_at !== null ? `The channel closed ${ago(now, row.disconnected_at)} (${row.disconnect_reason || 'no reason given'}).` : 'The channel is closed.';
    cause = `${closed} The last ping came ${ago(now, row.last_ping_at)}.`;
    steps.push('On the node: `capstan agent diagnose` checks the path to the server layer by layer.', 'If the node can still run commands later, send it the Capstan-DiagnoseAgent document.');
  }
  const agentSaid = row.last_error ? causeOf(row.last_error) : undefined;
  if (agentSaid && ping !== 'Online') steps.unshift(`Likely: ${agentSaid}.`);
  return {
    InstanceId: row.instance_id,
    PingStatus: ping,
    ...(row.last_ping_at !== null ? { LastPingDateTime: new Date(row.last_ping_at) } : {}),
    RegistrationDate: new Date(row.registered_at),
    ...(row.disconnected_at !== null ? { DisconnectedAt: new Date(row.disconnected_at), DisconnectReason: row.disconnect_reason } : {}),
    ...(row.last_error ? { LastAgentError: row.last_error, LastAgentErrorAt: new Date(row.last_error_at ?? 0) } : {}),
    ...(row.key_rotated_at !== null ? { KeyRotatedAt: new Date(row.key_rotated_at) } : {}),
    KeyRotationPending: row.next_public_key !== null,
    AgentVersion: row.agent_version,
    Diagnosis: cause,
    NextSteps: steps,
  };
}

/** Not an AWS operation: `capstan nodes diagnose mi-…`. */
export const diagnosisOperations: AnyOperation[] = [
  defineOperation({
    service: SSM,
    name: 'CapstanDiagnoseNode',
    action: 'ssm:DescribeInstanceInformation',
    input: z.object({ InstanceId: z.string().regex(/^mi-[0-9a-f]{17}$/) }),
    resources: (i, c) => [instanceArn(c.region, c.accountId, i.InstanceId)],
    handler: async (i, c) => {
      const nodes = nodeService(c.core);
      const row = await nodes.instance(c.accountId, c.region, i.InstanceId);
      if (!row) throw invalidInstanceId(`Instance ${i.InstanceId} is not a registered managed node of this account and region.`);
      return diagnoseNode(nodes, row, c.now);
    },
  }),
];
