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
  try {
    parsed = new URL(url);
  } catch {
    throw urlError(url, 'not a valid URL');
  }
  const q = parsed.searchParams;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw urlError(url, `"${s}" has a bad %-escape`);
    }
  };
  const host = q.get('host') || decode(parsed.hostname) || env.PGHOST || 'localhost';
  const portText = parsed.port || q.get('port') || env.PGPORT || '5432';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw urlError(url, `port "${portText}" is not a port number`);
  const user = decode(parsed.username) || q.get('user') || env.PGUSER || os.userInfo().username;
  const database = decode(parsed.pathname.replace(/^\//, '')) || q.get('dbname') || env.PGDATABASE || user;
  const sslText = (q.get('sslmode') || env.PGSSLMODE || 'prefer').toLowerCase();
  if (!SSL_MODES.includes(sslText as SslMode))
    throw urlError(url, `sslmode "${sslText}" is not one of ${SSL_MODES.join(', ')}`);
  const password =
    decode(parsed.password) || q.get('password') || env.PGPASSWORD || pgpassLookup(host, port, database, user, env);
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
  const ca = settings.sslRootCert ? readFileSync(settings.sslRootCert, 'utf8') : undefined;
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
