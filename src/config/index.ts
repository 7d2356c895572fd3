export { loadConfig, defaults, configFilePath, type CryoConfig } from './config.js';
export { locateCriu, provisionedCriuPath, provisionedCritPath, type CriuLocation } from './criu-binary.js';
export { loadHookConfig, validHookTimeout, DEFAULT_HOOK_TIMEOUT_MS, type HookConfig } from './hooks-config.js';
