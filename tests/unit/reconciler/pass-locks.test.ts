import { describe, expect, it } from 'vitest';
import { createPassLocks } from '../../../src/reconciler/pass-locks.ts';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('pass locks', () => {
  it('runs passes over different panels together, and one panel one pass at a time', async () => {
    const locks = createPassLocks<string>();
    const log: string[] = [];
    const gate = deferred();
    const first = locks.run('p1', async () => {
      log.push('p1 start');
      await gate.promise;
      log.push('p1 end');
    });
    const other = locks.run('p2', async () => {
      log.push('p2 ran');
      await Promise.resolve();
    });
    const second = locks.run('p1', async () => {
      log.push('p1 again');
      await Promise.resolve();
    });
    await other;
    expect(log).toEqual(['p1 start', 'p2 ran']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(log).toEqual(['p1 start', 'p2 ran', 'p1 end', 'p1 again']);
  });

  it('gives a waiting full pass the panels before later panel passes', async () => {
    const locks = createPassLocks<string>();
    const log: string[] = [];
    const gate = deferred();
    const first = locks.run('p1', async () => {
      await gate.promise;
      log.push('p1');
    });
    const all = locks.run('all', async () => {
      log.push('all');
      await Promise.resolve();
    });
    const later = locks.run('p2', async () => {
      log.push('p2');
      await Promise.resolve();
    });
    gate.resolve();
    await Promise.all([first, all, later]);
    expect(log).toEqual(['p1', 'all', 'p2']);
  });
});
