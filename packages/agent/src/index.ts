export { defaultStateDir, loadIdentity, type Identity } from './state.js';
export { register, type RegisterOptions } from './register.js';
export { runAgent, IdentityRefused, type RunOptions } from './run.js';
export { instanceInfo, AGENT_VERSION } from './info.js';
