import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dashboardOf } from './summary';

test('the summary is grouped as the node list filters it', () => {
  const d = dashboardOf({
    Total: 6,
    PingStatus: { Online: 4, ConnectionLost: 2 },
    Platforms: [
      { PlatformType: 'Linux', PlatformName: 'Ubuntu', PlatformVersion: '24.04', Count: 3, Online: 3 },
      { PlatformType: 'Linux', PlatformName: 'Debian GNU/Linux', PlatformVersion: '12', Count: 2, Online: 1 },
      { PlatformType: '', PlatformName: '', PlatformVersion: '', Count: 1, Online: 0 },
    ],
    AgentVersions: [
      { AgentVersion: '3.10.0', Count: 3, Online: 3, Latest: true },
      { AgentVersion: '3.9.2', Count: 2, Online: 1, Latest: false },
      { AgentVersion: '', Count: 1, Online: 0, Latest: false },
    ],
    LatestAgentVersion: '3.10.0',
  });
  assert.deepEqual(d.platforms, [['Linux', 5], ['Unknown', 1]]);
  assert.deepEqual(d.os, [['Ubuntu 24.04', 3], ['Debian GNU/Linux 12', 2], ['Unknown', 1]]);
  assert.deepEqual(d.agents, [['3.10.0', 3], ['3.9.2', 2]]);
  assert.equal(d.outdated, 2);
  assert.equal(d.ping.get('ConnectionLost'), 2);
});
