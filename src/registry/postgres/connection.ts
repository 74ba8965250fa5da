/**
 * Connection settings for the PostgreSQL store, by libpq's rules: the URL's
 * parts first, then PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, PGOPTIONS,
 * PGSSLMODE, then ~/.pgpass (PGPASSFILE) for the password. We resolve them
 * ourselves so the password never leaves this module and `display` (what every
 * message names) is exact and has none.
 */
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MlopsError } from '../../util/errors.js';
import { redactUrl } from '../location.js';

/** Stands for the empty host of `user@/db` while the URL is parsed. */
const EMPTY_HOST = 'mlops-empty-host.invalid';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
const SSL_MODES: SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  database: string;
  password: string | undefined;
  options: string | undefined;
  sslMode: SslMode;
  sslRootCert: string | undefined;
  /** `postgres://user@host:port/database`: no password, ever. */
  display: string;
  /** `host:port`, for "cannot reach PostgreSQL at ...". */
  address: string;
}

function urlError(url: string, why: string): MlopsError {
  return new MlopsError('REGISTRY_URL_INVALID', `registry URL ${redactUrl(url)}: ${why}`, {
    hint: 'write it as postgres://user@host:5432/database (the password from PGPASSWORD or ~/.pgpass keeps it out of shell history)',
  });
}

export function connectionSettings(url: string, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  let parsed: URL;
  // libpq allows user info before an empty host (`postgres://user@/db?host=/run/postgresql`); WHATWG URLs do not.
  const emptyHost = /^postgres(ql)?:\/\/[^/?#]*@\//i.test(url);
  try {
    parsed = new URL(emptyHost ? url.replace(/@\//, `@${EMPTY_HOST}/`) : url);
  } catch {
    throw urlError(
      url,
      'not a valid URL (a password holding / # ? % @ or : must be %-encoded, e.g. / as %2F; or leave it out and use PGPASSWORD or ~/.pgpass)',
    );
  }
  const q = parsed.searchParams;
  const decode = (s: string, part: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      // Never quote the part: it may be the password.
      throw urlError(
        url,
        `the ${part} has a bad %-escape (a % must be followed by two hex digits; write % itself as %25)`,
      );
    }
  };
  const hostname = parsed.hostname === EMPTY_HOST ? '' : decode(parsed.hostname, 'host');
  const host = q.get('host') || hostname || env.PGHOST || 'localhost';
  const portText = parsed.port || q.get('port') || env.PGPORT || '5432';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw urlError(url, `port "${portText}" is not a port number`);
  const user = decode(parsed.username, 'user name') || q.get('user') || env.PGUSER || os.userInfo().username;
  const database =
    decode(parsed.pathname.replace(/^\//, ''), 'database name') || q.get('dbname') || env.PGDATABASE || user;
  const sslText = (q.get('sslmode') || env.PGSSLMODE || 'prefer').toLowerCase();
  if (!SSL_MODES.includes(sslText as SslMode)) {
    const from = q.get('sslmode') ? 'its sslmode' : 'PGSSLMODE';
    throw urlError(url, `${from} "${sslText}" is not one of ${SSL_MODES.join(', ')}`);
  }
  const password =
    decode(parsed.password, 'password') ||
    q.get('password') ||
    env.PGPASSWORD ||
    pgpassLookup(host, port, database, user, env);
  const shownHost = host.includes(':') && !host.startsWith('/') ? `[${host}]` : host;
  return {
    host,
    port,
    user,
    database,
    password,
    options: q.get('options') || env.PGOPTIONS || undefined,
    sslMode: sslText as SslMode,
    sslRootCert: q.get('sslrootcert') || env.PGSSLROOTCERT || undefined,
    display: `postgres://${encodeURIComponent(user)}@${host.startsWith('/') ? encodeURIComponent(host) : shownHost}:${port}/${encodeURIComponent(database)}`,
    address: host.startsWith('/') ? `${host} (port ${port})` : `${shownHost}:${port}`,
  };
}

/** libpq's password file: `host:port:database:user:password` lines, `*` matches anything, `\` escapes. */
export function pgpassLookup(
  host: string,
  port: number,
  database: string,
  user: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const file = env.PGPASSFILE || path.join(os.homedir(), '.pgpass');
  let text: string;
  try {
    // libpq ignores a password file others can read; so do we.
    if ((statSync(file).mode & 0o077) !== 0) return undefined;
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const wanted = [host.startsWith('/') ? 'localhost' : host, String(port), database, user];
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const fields: string[] = [];
    let current = '';
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (c === '\\' && i + 1 < line.length) current += line[++i];
      else if (c === ':' && fields.length < 4) {
        fields.push(current);
        current = '';
      } else current += c;
    }
    fields.push(current);
    if (fields.length !== 5) continue;
    if (wanted.every((w, i) => fields[i] === '*' || fields[i] === w)) return fields[4];
  }
  return undefined;
}

/** node-postgres's `ssl` option for a libpq sslmode; prefer/allow are tried with TLS first by the pool (pg-pool.ts). */
export function tlsOptions(settings: ConnectionSettings): false | Record<string, unknown> {
  if (settings.sslMode === 'disable') return false;
  let ca: string | undefined;
  try {
    ca = settings.sslRootCert ? readFileSync(settings.sslRootCert, 'utf8') : undefined;
  } catch (err) {
    throw new MlopsError(
      'REGISTRY_TLS_FAILED',
      `cannot read the CA certificate ${settings.sslRootCert} (sslrootcert or PGSSLROOTCERT): ${(err as NodeJS.ErrnoException).code ?? err}`,
      { hint: 'point sslrootcert (or PGSSLROOTCERT) at the PEM file of the CA that signed the server certificate' },
    );
  }
  switch (settings.sslMode) {
    case 'verify-full':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
    case 'verify-ca':
      // The chain is checked, the host name is not (libpq's verify-ca).
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined };
    default:
      return { rejectUnauthorized: false };
  }
}
