export { ApiClient, describeProblem } from './api-client.js';
export { COMMANDS } from './commands/index.js';
export { CliError, EXIT, UsageError } from './errors.js';
export { DEFAULT_URL, type RunIO, run } from './run.js';
