/**
 * Where the registry lives: a folder (the default, `.mlops`) or a PostgreSQL
 * database named by a `postgres://` URL, from `registry` or MLOPS_REGISTRY.
 * A URL can hold a password: only `redactUrl`'s form is ever shown.
 */
import path from 'node:path';
import { MlopsError } from '../util/errors.js';

export type RegistryLocation = { kind: 'folder'; root: string } | { kind: 'postgres'; url: string; display: string };

const POSTGRES_URL = /^postgres(ql)?:\/\//i;
/** `scheme://` or `scheme:/`: a URL, not a folder (a one-letter scheme is a Windows drive). */
const ANY_URL = /^[a-z][a-z0-9+.-]+:\/\/?/i;

export function isPostgresUrl(value: string | undefined): boolean {
  return value !== undefined && POSTGRES_URL.test(value.trim());
}

/** The option as given, else MLOPS_REGISTRY, else `.mlops` in `cwd`. */
export function registryLocation(
  option?: string,
  cwd = process.cwd(),
  env: NodeJS.ProcessEnv = process.env,
): RegistryLocation {
  const given = option ?? (env.MLOPS_REGISTRY || undefined);
  // A secret pasted with a newline or a space around it still names the database.
  if (given !== undefined && isPostgresUrl(given))
    return { kind: 'postgres', url: given.trim(), display: redactUrl(given.trim()) };
  if (given !== undefined && ANY_URL.test(given.trim())) {
    // A typo in the scheme must not register into a local folder named after the URL (and its password).
    throw new MlopsError(
      'REGISTRY_URL_INVALID',
      `registry ${redactUrl(given.trim())}: only postgres:// (or postgresql://) URLs name a database registry`,
      { hint: 'write postgres://user@host:5432/database, or give a folder path' },
    );
  }
  return { kind: 'folder', root: path.resolve(cwd, given ?? '.mlops') };
}

/**
 * The URL without its password (also `password=` in the query string), for every message and
 * document. The user info ends at the last `@` before the path, so a password holding `@`, `/`,
 * `#`, `?` or `%` (unescaped, as users paste them) is hidden whole, whether or not the URL parses.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return url.replace(/([?&]password=)[^&#]*/gi, '$1***');
  let rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const info = rest.slice(0, at);
    const colon = info.indexOf(':');
    // Everything before the last `@` is user info; whatever follows the first `:` in it is the password.
    rest = `${colon >= 0 ? `${info.slice(0, colon)}:***` : info.replace(/[/?#].*$/, '')}${rest.slice(at)}`;
  }
  return `${scheme[0]}${rest}`.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

/** Any password-bearing URL inside a text (an error message from a library), redacted. */
export function redactText(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s'"`]+/gi, (url) => redactUrl(url));
}
