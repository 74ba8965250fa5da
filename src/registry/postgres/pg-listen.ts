/**
 * Change notices from the database for `registry watch` (and a server that
 * reloads models): LISTEN on its own long-lived connection, which reconnects
 * with backoff and then asks for everything to be read again, since what was
 * notified while it was away is lost.
 */
import type { Client } from 'pg';
import type { PgConnector } from './pg-connect.js';
import { pgError } from './pg-errors.js';
import { changesChannel } from './schema.js';

/** How often an idle LISTEN connection checks that the server still answers. */
const HEARTBEAT_MS = 15_000;

export async function listenForChanges(
  db: PgConnector,
  onChange: (names: string[] | null) => void,
  signal: AbortSignal,
  onError?: (err: unknown) => void,
): Promise<void> {
  const pg = await db.pg();
  // The TLS choice and the schema, and a clear error when the server is not there at all.
  const session = await db.session().catch((err) => {
    throw pgError(err, db.settings, 'connecting');
  });
  const channel = changesChannel(session.schema ?? '');
  // One listener on the signal for the whole watch (one per reconnect would pile up).
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  let delay = 250;
  while (!signal.aborted) {
    const client: Client = new pg.Client({
      ...db.clientConfig(session),
      statement_timeout: 0,
      query_timeout: HEARTBEAT_MS,
    });
    let heartbeat: NodeJS.Timeout | undefined;
    const lost = new Promise<unknown>((resolve) => {
      client.on('error', resolve);
      client.on('end', () => resolve(new Error('Connection terminated')));
      // A network that drops packets silently would leave LISTEN waiting forever: ask now and then.
      heartbeat = setInterval(() => {
        client.query('SELECT 1').catch(resolve);
      }, HEARTBEAT_MS);
    });
    try {
      // Ctrl-C is not kept waiting by a server that does not answer.
      if ((await Promise.race([client.connect(), aborted])) === 'aborted') return;
      client.on('notification', (n) => {
        if (n.channel === channel && n.payload) onChange([n.payload]);
      });
      if ((await Promise.race([client.query(`LISTEN ${channel}`), aborted])) === 'aborted') return;
      delay = 250;
      // Changes made while we were not listening (before the first LISTEN, or while
      // reconnecting) were not notified: have everything read again.
      onChange(null);
      const err = await Promise.race([lost, aborted]);
      if (err === 'aborted') return;
      onError?.(pgError(err, db.settings, 'listening for changes'));
    } catch (err) {
      onError?.(pgError(err, db.settings, 'listening for changes'));
    } finally {
      clearInterval(heartbeat);
      client.end().catch(() => {});
    }
    let pause: NodeJS.Timeout | undefined;
    const paused = new Promise((r) => (pause = setTimeout(r, delay)));
    const ended = (await Promise.race([paused, aborted])) === 'aborted';
    clearTimeout(pause);
    if (ended) return;
    delay = Math.min(delay * 2, 5_000);
  }
}
