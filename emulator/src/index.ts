/** The emulator as a library: start one in-process, typed. */
export { startEmulator, StartupError, type RunningEmulator } from './server.js';
export { defaultConfig, DEFAULT_LIMITS, type EmulatorConfig, type EmulatorLimits, type AuthMode } from './config.js';
export { DEV_CLIENT_ID, DEV_CLIENT_SECRET, DEV_TENANT, AAD_RESOURCE, ACS_SCOPE } from './auth/credentials.js';
export { RULES, type RuleDef, type Severity } from './domain/rules.js';
export type { Finding } from './domain/findings.js';
