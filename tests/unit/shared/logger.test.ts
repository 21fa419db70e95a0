import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/shared/index.ts';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('redacts credentials at the top level and nested in objects', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    logger.info(
      {
        password: 'hunter2',
        panel: { name: 'de-1', password: 'p4ss', auth: { token: 'tkn-secret' } },
        headers: { authorization: 'Bearer abc' },
      },
      'panel configured',
    );
    const line = out.text();
    expect(line).toContain('de-1');
    expect(line).toContain('panel configured');
    for (const secret of ['hunter2', 'p4ss', 'tkn-secret', 'Bearer abc']) {
      expect(line).not.toContain(secret);
    }
  });

  it('gives child loggers their component field', () => {
    const out = capture();
    createLogger({ level: 'info', destination: out.stream }).child({ component: 'xui' }).warn('slow');
    expect(JSON.parse(out.text())).toMatchObject({ component: 'xui', level: 'warn', msg: 'slow' });
  });
});

describe('createLogger pretty', () => {
  it('writes one readable line an event and still redacts', async () => {
    const out = capture();
    const logger = createLogger({ level: 'info', pretty: true, destination: out.stream });
    logger.info({ panel: 'de-1', password: 'hunter2' }, 'client disabled');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const text = out.text();
    expect(text).toContain('client disabled');
    expect(text).toContain('de-1');
    expect(text).not.toContain('hunter2');
    expect(text.trim().split('\n')).toHaveLength(1);
  });
});
