export { defaultStateDir, loadIdentity, saveIdentity, type Identity } from './state.js';
export { register, type RegisterOptions } from './register.js';
export { runAgent, IdentityRefused, type RunOptions } from './run.js';
export { instanceInfo, AGENT_VERSION } from './info.js';
export { diagnose, type Check } from './diagnose.js';
export { systemdUnit, jitteredRestartSec, type UnitOptions } from './service-unit.js';
export { selfCommand } from './self-command.js';
export { Supervisor, DEFAULT_UPDATE_TIMEOUT_MS, type SuperviseOptions } from './update/supervisor.js';
export { followSupervisor } from './update/follow.js';
