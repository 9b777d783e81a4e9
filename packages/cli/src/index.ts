export type {
  DataAddOptions,
  DataLsOptions,
  DataReportOptions,
  DataTargetOptions,
} from './commands/data/handlers.js';
export { dataAdd, dataLs, dataPull, dataPush, dataReport, dataStatus } from './commands/data/handlers.js';
export type { DriftCommandOptions } from './commands/drift/handlers.js';
export { driftCommand } from './commands/drift/handlers.js';
export type {
  ModelsLsOptions,
  ModelsPromoteOptions,
  ModelsRollbackOptions,
  ModelsVersionsOptions,
} from './commands/models/handlers.js';
export { modelsAliases, modelsLs, modelsPromote, modelsRollback, modelsVersions } from './commands/models/handlers.js';
export type { RetrainCommandOptions, RetrainConfigContext, RetrainPolicyLike } from './commands/retrain/handlers.js';
export { retrainCommand } from './commands/retrain/handlers.js';
export type { RunsBestOptions, RunsLsOptions } from './commands/runs/handlers.js';
export { runsBest, runsCompare, runsLs, runsShow } from './commands/runs/handlers.js';
export type { ServeCommandOptions } from './commands/serve/handlers.js';
export { serveCommand } from './commands/serve/handlers.js';
export type { TuneCommandOptions, TuneConfig } from './commands/tune/handlers.js';
export { tuneCommand, tuneConfigSchema } from './commands/tune/handlers.js';
export type { CliContext, CliContextOptions, GlobalOptions } from './context.js';
export { createCliContext, registryBaseUrl } from './context.js';
export { EXIT_CODES, exitCodeFor } from './exit-codes.js';
export type { BufferSink, Output, OutputOptions, TextSink } from './output.js';
export { bufferSink, createOutput } from './output.js';
export { buildGate, parseGateExpression } from './parse.js';
export type { ImportModule } from './plugins.js';
export { FLAVOR_PLUGINS, loadFlavors } from './plugins.js';
export type { RunOptions } from './program.js';
export { createProgram, run } from './program.js';
export type { ResolveRemoteOptions } from './remote.js';
export { REMOTE_PLUGINS, resolveRemote } from './remote.js';
