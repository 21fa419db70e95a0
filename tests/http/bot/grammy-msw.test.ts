/**
 * STYLE.md §6 asks the first bot test to confirm that msw sees grammY's HTTP on Node (node-fetch over
 * node:http). It does: this file stands as that confirmation. The bot's own tests use the fake Bot API
 * server (tests/fakes/fake-bot-api.ts) through `apiRoot` instead, which also covers multipart uploads.
 */
import { Api } from 'grammy';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const server = setupServer();
beforeAll(() => {
  server.listen({ onUnhandledFrame: 'error' });
});
afterEach(() => {
  server.resetHandlers();
});
afterAll(() => {
  server.close();
});

describe('grammY under msw', () => {
  it('intercepts a Bot API call made by grammY', async () => {
    const seen: unknown[] = [];
    server.use(
      http.post('https://api.telegram.org/bot123456:TEST/sendMessage', async ({ request }) => {
        seen.push(await request.json());
        return HttpResponse.json({
          ok: true,
          result: { message_id: 1, date: 0, chat: { id: 42, type: 'private' }, text: 'hello' },
        });
      }),
    );
    const message = await new Api('123456:TEST').sendMessage(42, 'hello');
    expect(message.message_id).toBe(1);
    expect(seen).toEqual([{ chat_id: 42, text: 'hello' }]);
  });
});
