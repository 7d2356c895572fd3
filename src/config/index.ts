export { loadConfig, defaults, configFilePath, type CryoConfig } from './config.js';
export { locateCriu, provisionedCriuPath, provisionedCritPath, type CriuLocation } from './criu-binary.js';
