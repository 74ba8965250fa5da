export { registerModel, type RegisterOptions, type RegisterResult } from './register.js';
export { promote, rollback, type PromoteOptions, type RollbackOptions, type AliasMoveResult } from './aliases.js';
export { listRegistry, showVersion, modelHistory, resolveModelRef, type ListResult, type ShowResult, type HistoryResult, type ResolvedModel } from './queries.js';
export { verifyRegistry, archiveVersion, type VerifyResult, type ArchiveResult } from './maintenance.js';
export { FolderStore, registryRoot } from './folder-store.js';
export type { RegistryStore, StagedFile } from './store.js';
export type { RegistryOptions, DamagedModel } from './context.js';
export type * from './types.js';
