// CRIU log analysis: outcome, error lines, and known causes with advice.
export { analyzeCriuLog, type CriuLogAnalysis, type CriuLogHint } from './analyze.js';
export { criuLogPatterns, type CriuLogPattern } from './patterns.js';
export { parseCriuLogLine, type CriuLogLine } from './parse-line.js';
