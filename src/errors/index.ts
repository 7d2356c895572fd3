export { codes, type ErrorCode, type CodeInfo } from './codes.js';
export { CryoError, isCryoError, type ErrorContext } from './cryo-error.js';
export { invalidOption } from './invalid-option.js';
