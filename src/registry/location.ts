/**
 * Where the registry lives: a folder (the default, `.mlops`) or a PostgreSQL
 * database named by a `postgres://` URL, from `registry` or MLOPS_REGISTRY.
 * A URL can hold a password: only `redactUrl`'s form is ever shown.
 */
import path from 'node:path';

export type RegistryLocation = { kind: 'folder'; root: string } | { kind: 'postgres'; url: string; display: string };

const POSTGRES_URL = /^postgres(ql)?:\/\//i;

export function isPostgresUrl(value: string | undefined): value is string {
  return value !== undefined && POSTGRES_URL.test(value);
}

/** The option as given, else MLOPS_REGISTRY, else `.mlops` in `cwd`. */
export function registryLocation(
  option?: string,
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): RegistryLocation {
  const given = option ?? (env.MLOPS_REGISTRY || undefined);
  if (isPostgresUrl(given)) return { kind: 'postgres', url: given, display: redactUrl(given) };
  return { kind: 'folder', root: path.resolve(cwd, given ?? '.mlops') };
}

/** The URL without its password (also `password=` in the query string), for every message and document. */
export function redactUrl(url: string): string {
  return url
    .replace(/^(postgres(?:ql)?:\/\/[^:/@?#]*):[^@/?#]*@/i, '$1:***@')
    .replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Any password-bearing URL inside a text (an error message from a library), redacted. */
export function redactText(text: string): string {
  return text.replace(/postgres(?:ql)?:\/\/[^\s'"`]+/gi, (url) => redactUrl(url));
}
