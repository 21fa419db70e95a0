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

describe('createLogger secrets and errors (issue 12)', () => {
  it('censors configured secret values wherever they appear, raw, JSON-escaped or URL-encoded', () => {
    const out = capture();
    const token = '7312345678:AAH-tok"en_value';
    const logger = createLogger({ level: 'info', destination: out.stream, secrets: [token, 'short'] });
    logger.info({ url: `https://api.telegram.org/bot${encodeURIComponent(token)}/getMe`, note: token }, 'x');
    const line = out.text();
    expect(line).not.toContain('AAH-tok');
    expect(line).toContain('[redacted]');
    // Values under 8 characters are not scrubbed (they would censor ordinary words).
    logger.info({ word: 'short' }, 'y');
    expect(out.text()).toContain('"word":"short"');
  });

  it('drops grammY context and payload from errors, and a database detail for credential tables', () => {
    const out = capture();
    const logger = createLogger({ level: 'info', destination: out.stream });
    const botError = Object.assign(new Error('handler failed'), {
      ctx: { api: { token: 'bot-token-value' }, update: { message: { from: { first_name: 'Ann' } } } },
      payload: { text: 'hello Ann' },
    });
    const panelError = Object.assign(new Error('new row violates check constraint'), {
      table: 'panels',
      detail: 'Failing row contains (1, de-1, https://p/secret-path/, admin, hunter2)',
      code: '23514',
    });
    const planError = Object.assign(new Error('duplicate key'), {
      table: 'plans',
      detail: 'Key (code)=(month) already exists.',
    });
    logger.error({ err: botError }, 'a');
    logger.error({ err: panelError }, 'b');
    logger.error({ err: new Error('wrapped', { cause: panelError }) }, 'c');
    logger.error({ err: planError }, 'd');
    const text = out.text();
    for (const leaked of ['bot-token-value', 'Ann', 'hunter2', 'secret-path']) {
      expect(text).not.toContain(leaked);
    }
    expect(text).toContain('handler failed');
    expect(text).toContain('"code":"23514"');
    expect(text).toContain('Key (code)=(month) already exists.');
  });
});
