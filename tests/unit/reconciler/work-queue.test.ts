import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createWorkQueue } from '../../../src/reconciler/work-queue.ts';

const signal = new AbortController().signal;

describe('work queue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('queues an item once however often it is added', async () => {
    const queue = createWorkQueue<string, string>();
    queue.add('a', 'notify', 'normal');
    queue.add('a', 'notify', 'normal');
    expect(queue.length).toBe(1);
    expect(await queue.get(signal)).toEqual({ key: 'a', trigger: 'notify' });
    expect(queue.length).toBe(0);
  });

  it('never hands an item being processed to a second worker, and re-queues it after done', async () => {
    const queue = createWorkQueue<string, string>();
    queue.add('a', 'resync', 'normal');
    await queue.get(signal);
    queue.add('a', 'notify', 'urgent');
    expect(queue.length).toBe(0);
    const controller = new AbortController();
    const second = queue.get(controller.signal);
    queue.done('a');
    expect(await second).toEqual({ key: 'a', trigger: 'notify' });
  });

  it('hands out urgent items before normal ones, and promotes a queued item on an urgent add', async () => {
    const queue = createWorkQueue<string, string>();
    queue.add('resync-1', 'resync', 'normal');
    queue.add('resync-2', 'resync', 'normal');
    queue.add('notify', 'notify', 'urgent');
    queue.add('resync-2', 'expiry', 'urgent');
    const order = [];
    for (let index = 0; index < 3; index += 1) {
      order.push((await queue.get(signal))?.key);
    }
    expect(order).toEqual(['notify', 'resync-2', 'resync-1']);
  });

  it('backs off exponentially per item up to 5 minutes, and forget resets it', () => {
    const queue = createWorkQueue<string, string>({ random: () => 1 });
    const delays = Array.from({ length: 12 }, () => queue.requeueWithBackoff('a', 'retry'));
    expect(delays.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(delays.at(-1)).toBe(300_000);
    queue.forget('a');
    expect(queue.requeueWithBackoff('a', 'retry')).toBe(1_000);
  });

  it('schedules a retry at the current backoff without counting a failure (a full pass saw it fail)', () => {
    const queue = createWorkQueue<string, string>({ random: () => 1 });
    expect(queue.retryAfterBackoff('a', 'retry')).toBe(1_000);
    expect(queue.retryAfterBackoff('a', 'retry')).toBe(1_000);
    expect(queue.failures('a')).toBe(0);
    queue.requeueWithBackoff('a', 'retry');
    queue.requeueWithBackoff('a', 'retry');
    expect(queue.retryAfterBackoff('a', 'retry')).toBe(2_000);
    expect(queue.failures('a')).toBe(2);
  });

  it('adds a backed-off item only when its delay has passed', async () => {
    const queue = createWorkQueue<string, string>({ random: () => 1 });
    queue.requeueWithBackoff('a', 'retry');
    expect(queue.length).toBe(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(queue.length).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(queue.length).toBe(1);
  });

  it('resolves waiting workers with undefined on shut down and drops delayed adds', async () => {
    const queue = createWorkQueue<string, string>();
    const waiting = queue.get(signal);
    queue.addAfter('a', 'retry', 'normal', 1_000);
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(queue.length).toBe(0);
  });

  it('resolves a waiting worker with undefined when its signal aborts', async () => {
    const queue = createWorkQueue<string, string>();
    const controller = new AbortController();
    const waiting = queue.get(controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
    queue.add('a', 'notify', 'urgent');
    expect(queue.length).toBe(1);
  });
});
