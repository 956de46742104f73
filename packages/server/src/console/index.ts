import type { Capability } from '../protocol/capability.js';
import { attachConsoleApi } from './http.js';
import { attachConsoleStatic } from './static.js';
import { consoleMigrations } from './tables.js';

/**
 * The web console's server side: its sign-in and sessions, the endpoint through which it calls
 * the AWS operations as the signed-in user, and the built single-page app under /console/.
 * It adds no AWS operation of its own.
 */
export const consoleCapability: Capability = {
  name: 'console',
  migrations: consoleMigrations,
  operations: [],
  http(app, core) {
    attachConsoleApi(app, core);
    attachConsoleStatic(app);
  },
};
