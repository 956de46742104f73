import type { Capability } from '../protocol/capability.js';
import { nodeService } from '../nodes/index.js';
import { attachSessionEndpoints } from './http.js';
import { sessionOperations } from './operations.js';
import { SessionService } from './service.js';
import { sessionService, sessionSlot } from './slot.js';
import { sessionMigrations } from './tables.js';

export { sessionService } from './slot.js';

export const sessionsCapability: Capability = {
  name: 'sessions',
  migrations: sessionMigrations,
  operations: sessionOperations,
  start(core, options) {
    const svc = new SessionService(core, nodeService(core));
    if (options.publicUrl) svc.publicUrl = options.publicUrl;
    if (options.sessionResumeWindowMs !== undefined) svc.resumeWindowMs = options.sessionResumeWindowMs;
    svc.start();
    sessionSlot.set(core, svc);
  },
  http(app, core) {
    attachSessionEndpoints(app, core, sessionService(core));
  },
};
