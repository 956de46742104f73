export { resolveClientConfig, type ClientOptions } from './client-config.js';
export { parseListen } from './commands/server.js';
