/**
 * What PostgreSQL and the network say, in words a user can act on (exit 2,
 * naming host:port and never the password). Anything not listed stays an
 * internal error (exit 3 with its stack): a bug of ours, not the user's setup.
 */
import { isMlopsError, MlopsError } from '../../util/errors.js';
import { redactText } from '../location.js';
import type { ConnectionSettings } from './connection.js';

interface PgLikeError {
  code?: string;
  message?: string;
  errno?: number;
  syscall?: string;
}

/** SQLSTATEs after which running the whole transaction again is correct. */
export function isRetryable(err: unknown): boolean {
  const code = (err as PgLikeError)?.code;
  return code === '40001' || code === '40P01';
}

const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOENT',
]);

/** The connection is gone: the server is down, restarting, or the network dropped us. */
export function isConnectionLoss(err: unknown): boolean {
  const e = err as PgLikeError;
  if (!e) return false;
  if (
    e.code &&
    (NETWORK.has(e.code) || e.code.startsWith('08') || e.code === '57P01' || e.code === '57P02' || e.code === '57P03')
  )
    return true;
  return /Connection terminated|connection timeout|timeout expired|Client has encountered a connection error|not queryable/i.test(
    e.message ?? '',
  );
}

/** Certificate checks that fail under verify-ca/verify-full (Node's TLS error codes). */
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|HOSTNAME/;

/** sslmode=require or stricter against a server without TLS, or a certificate that is not trusted. */
function tlsFailure(e: PgLikeError | undefined, settings: ConnectionSettings): { what: string; hint: string } | null {
  if (!e) return null;
  if (/does not support SSL/i.test(e.message ?? ''))
    return {
      what: 'the server does not offer TLS',
      hint: 'enable ssl on the server, or connect without TLS where the network is trusted: sslmode=prefer (the default) or disable in the URL, or PGSSLMODE',
    };
  if (e.code && CERTIFICATE.test(e.code))
    return {
      what: `its certificate is not trusted (${redactText(e.message ?? e.code)})`,
      hint: `give the CA that signed it with sslrootcert=<file> in the URL or PGSSLROOTCERT${settings.sslMode === 'verify-full' ? ', and connect by the host name the certificate names' : ''}`,
    };
  return null;
}

export function pgError(err: unknown, settings: ConnectionSettings, doing: string): unknown {
  if (isMlopsError(err)) return err;
  const e = err as PgLikeError;
  const said = redactText(e?.message ?? String(err));
  const where = `PostgreSQL at ${settings.address}`;
  if (isConnectionLoss(err)) {
    return new MlopsError('REGISTRY_UNREACHABLE', `cannot reach ${where} (${said}) while ${doing}`, {
      hint: `check that the server is running and reachable from here, and the registry URL (${settings.display}) or PGHOST/PGPORT; run the command again once it is back`,
      cause: err,
    });
  }
  const tls = tlsFailure(e, settings);
  if (tls)
    return new MlopsError('REGISTRY_TLS_FAILED', `${where}: ${tls.what} (sslmode=${settings.sslMode})`, {
      hint: tls.hint,
      cause: err,
    });
  switch (e?.code) {
    case '28P01':
    case '28000':
      return new MlopsError(
        'REGISTRY_AUTH_FAILED',
        `${where} refused the login of "${settings.user}": ${said}${settings.password === undefined ? ' (no password was found for it)' : ''}`,
        {
          hint: "check the user and the password (in the URL, PGPASSWORD or ~/.pgpass, which is ignored when others can read it: chmod 600) and the server's pg_hba.conf",
          cause: err,
        },
      );
    case '3D000':
      return new MlopsError('REGISTRY_DATABASE_NOT_FOUND', `${where}: ${said}`, {
        hint: `create it (createdb ${settings.database}) or name another database in the registry URL`,
        cause: err,
      });
    case '42501':
      return new MlopsError(
        'REGISTRY_PERMISSION_DENIED',
        `permission denied: role "${settings.user}" may not do this in the registry at ${settings.display} while ${doing} (${said})`,
        {
          hint: /schema|creat/i.test(doing + said)
            ? 'creating or migrating the tables needs a role that may create in the schema (the owner: see docs/team-registry.md)'
            : 'registering, promoting and archiving need the writer role; see docs/team-registry.md for the grants',
          cause: err,
        },
      );
    case '42704':
    case '22023':
      // Raised at login by a bad `options` (an unknown or malformed setting).
      return new MlopsError('REGISTRY_URL_INVALID', `${where} refused a connection setting while ${doing}: ${said}`, {
        hint: 'check `options` in the registry URL and PGOPTIONS (e.g. options=-csearch_path%3Dteam_a)',
        cause: err,
      });
    case '3F000':
      return new MlopsError('REGISTRY_SCHEMA_MISSING', `${where}: ${said} while ${doing}`, {
        hint: 'create the schema, or fix search_path (options in the URL, PGOPTIONS, ALTER ROLE ... SET search_path)',
        cause: err,
      });
    case '42P01':
    case '42P07':
    case '42723':
    case '42710':
      // A registry table dropped by hand, or tables that do not match the recorded schema version.
      return new MlopsError(
        'REGISTRY_CORRUPT',
        `the registry at ${settings.display} does not have the tables its schema version says (${said}) while ${doing}`,
        {
          hint: 'its tables were changed by hand; restore the database from a backup (or mlops registry copy from one)',
          cause: err,
        },
      );
    case '57014':
    case '55P03':
      return new MlopsError('REGISTRY_TIMEOUT', `${where} timed out while ${doing}: ${said}`, {
        hint: 'another writer may hold the registry for long (see pg_stat_activity); nothing was changed, run the command again',
        cause: err,
      });
    case '25P03':
      return new MlopsError(
        'REGISTRY_TIMEOUT',
        `${where} ended this session, idle inside a transaction too long, while ${doing}`,
        {
          hint: 'the process was paused or the network stalled; nothing was changed, run the command again',
          cause: err,
        },
      );
  }
  if (e?.code?.startsWith('53')) {
    return new MlopsError('REGISTRY_DATABASE_ERROR', `${where} cannot do the work while ${doing}: ${said}`, {
      hint: 'the server is out of disk, memory or connections; ask its administrator, then run the command again',
      cause: err,
    });
  }
  // Keep it internal, but never with a password in it: the stack (printed for an internal
  // error and by --debug) was made with the original message, so it is redacted too.
  if (err instanceof Error && err.message !== said) {
    err.message = said;
    if (err.stack) err.stack = redactText(err.stack);
  }
  return err;
}
