// register, promote and policy are run with their gates wired in by src/release/ (the registry cannot read models or run checklists).
export type { RegisterOptions, RegisterResult } from './register.js';
export { rollback, type PromoteOptions, type RollbackOptions, type AliasMoveResult } from './aliases.js';
export {
  listRegistry,
  showVersion,
  modelHistory,
  versionWithHistory,
  resolveModelRef,
  type ListResult,
  type ShowResult,
  type HistoryResult,
  type ResolvedModel,
} from './queries.js';
export type { PolicyOptions, PolicyResult, PolicyView, ChecklistRunner } from './policy.js';
export { verifyRegistry, archiveVersion, type VerifyResult, type ArchiveResult } from './maintenance.js';
export { FolderStore, registryRoot } from './folder-store.js';
export { migrateRegistry, type MigrateResult } from './migrate.js';
export {
  copyRegistry,
  type CopyOptions,
  type CopyResult,
  type ModelCopy,
  type PolicyCopy,
  type CopyRefusal,
} from './copy.js';
export { closeStores } from './context.js';
export { watchAliases, type AliasMove, type WatchOptions } from './watch.js';
export type { RegistryStore, StagedFile } from './store.js';
export type { RegistryOptions, DamagedModel } from './context.js';
export type * from './types.js';
export type { VersionView, RecordView, EventView, ModelVersionRef } from './views.js';
