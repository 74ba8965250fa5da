/** `mlops registry migrate`: bring a database registry's schema up to what this mlops writes. */
import { openStore, type RegistryOptions } from './context.js';

export interface MigrateResult {
  registry: string;
  store: 'folder' | 'postgres';
  /** Schema versions before and after; null for a folder registry, which has none. */
  schema_from: number | null;
  schema_to: number | null;
  migrated: boolean;
}

export async function migrateRegistry(options: RegistryOptions): Promise<MigrateResult> {
  const store = openStore(options);
  if (!store.migrate) {
    return { registry: store.location, store: 'folder', schema_from: null, schema_to: null, migrated: false };
  }
  const { from, to } = await store.migrate();
  return { registry: store.location, store: 'postgres', schema_from: from, schema_to: to, migrated: from !== to };
}
