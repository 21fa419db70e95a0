/**
 * The demo as a real process (issue 12): a closed terminal (SIGHUP) or a second Ctrl-C must not leave
 * the embedded PostgreSQL running or its temp folder behind, and a new start removes what an earlier
 * run left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { removeEmbeddedLeftovers } from '../../../src/db/index.ts';

const MAIN = fileURLToPath(new URL('../../../src/main.ts', import.meta.url));

interface RunningDemo {
  readonly child: ChildProcess;
  readonly root: string;
  readonly postmaster: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Starts `keywarden demo` and resolves once its embedded PostgreSQL is ready. */
async function startDemoProcess(): Promise<RunningDemo> {
  const child = spawn(process.execPath, [MAIN, 'demo'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      TELEGRAM_BOT_TOKEN: '',
      KEYWARDEN_HTTP_PORT: '0',
      KEYWARDEN_LOG_FORMAT: 'json',
      KEYWARDEN_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`the demo did not start: ${output.slice(-2000)}`));
    }, 90_000);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('embedded PostgreSQL ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => {
      reject(new Error(`the demo exited while starting: ${output.slice(-2000)}`));
    });
  });
  // Its folder is the one named after the demo's pid.
  const name = (await readdir(tmpdir())).find((entry) =>
    entry.startsWith(`keywarden-pg-${String(child.pid)}-`),
  );
  const root = name === undefined ? '' : join(tmpdir(), name);
  expect(root).not.toBe('');
  const postmaster = Number(readFileSync(join(root, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  expect(isAlive(postmaster)).toBe(true);
  return { child, root, postmaster, exited };
}

async function waitUntilDead(pid: number, ms: number): Promise<boolean> {
  for (let waited = 0; waited < ms; waited += 100) {
    if (!isAlive(pid)) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

describe('keywarden demo as a process (issue 12)', { timeout: 180_000 }, () => {
  it('on SIGHUP (terminal closed) stops its PostgreSQL and removes its temp folder', async () => {
    const demo = await startDemoProcess();
    demo.child.kill('SIGHUP');
    const exit = await demo.exited;
    expect(exit.signal).toBeNull();
    expect(await waitUntilDead(demo.postmaster, 10_000)).toBe(true);
    expect(existsSync(demo.root)).toBe(false);
  });

  it('on a second Ctrl-C exits at once and still leaves no PostgreSQL and no folder', async () => {
    const demo = await startDemoProcess();
    demo.child.kill('SIGINT');
    // Signals sent together may arrive as one: the second press comes a moment later.
    await new Promise((resolve) => setTimeout(resolve, 200));
    demo.child.kill('SIGINT');
    const exit = await demo.exited;
    expect(exit.code).toBe(130);
    expect(await waitUntilDead(demo.postmaster, 10_000)).toBe(true);
    expect(existsSync(demo.root)).toBe(false);
  });

  it('removes a leftover folder of a dead process at start, and keeps those of live ones', async () => {
    const dead = join(tmpdir(), 'keywarden-pg-2147483646-testdead');
    const live = join(tmpdir(), `keywarden-pg-${String(process.pid)}-testlive`);
    await mkdir(join(dead, 'data'), { recursive: true });
    await writeFile(join(dead, 'data', 'PG_VERSION'), '18\n');
    await mkdir(join(live, 'data'), { recursive: true });
    const removed = await removeEmbeddedLeftovers();
    expect(removed).toContain(dead);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    await import('node:fs/promises').then((fs) => fs.rm(live, { recursive: true, force: true }));
  });
});
