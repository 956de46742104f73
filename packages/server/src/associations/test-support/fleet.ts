import { AddTagsToResourceCommand, CreateActivationCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { ManualClock } from '../../scheduler/clock.js';
import { SimulatedAgent, type Behaviour } from '../../test-support/sim-agent.js';
import type { TestServer } from '../../test-support/server.js';

/** A simulated node registered, connected and tagged, answering jobs with `behaviour`. */
export async function simulatedNode(ssm: SSMClient, t: TestServer, name: string, behaviour: Behaviour, tags: Record<string, string> = {}): Promise<SimulatedAgent> {
  const { ActivationId, ActivationCode } = await ssm.send(new CreateActivationCommand({ IamRole: 'SSMServiceRole', RegistrationLimit: 1 }));
  const a = new SimulatedAgent(t.endpoint, name);
  await a.register(ActivationId!, ActivationCode!);
  await a.connect();
  a.behaviour = behaviour;
  if (Object.keys(tags).length) await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: a.instanceId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
  return a;
}

/** Lets the scheduler run what is due (moving the clock by `stepMs` a round) until `probe` holds. */
export async function settleScheduler<T>(t: TestServer, clock: ManualClock, probe: () => Promise<T | undefined | false>, stepMs = 1_000, rounds = 200): Promise<T> {
  for (let i = 0; i < rounds; i++) {
    await t.server.core.scheduler.tick();
    const v = await probe();
    if (v) return v;
    clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('did not settle');
}
