/** The demo's script (what happens when) and its narration of what keywarden does. */
import type pg from 'pg';
import type { App } from '../app/index.ts';
import { runAutopayPass } from '../bot/index.ts';
import { createOrder, findPlan, markOrderPending } from '../db/index.ts';
import { encodeOrderId, encodeOrderReference } from '../domain/index.ts';
import { createYooKassaApi } from '../payments/index.ts';
import { sleep, toError, type Logger } from '../shared/index.ts';
import { signGenericWebhook } from '../webhooks/index.ts';
import type { SimulatedPanel } from '../simulator/index.ts';
import { DEMO_ENVIRONMENT } from './environment.ts';
import type { FakeYooKassaServer } from './fake-yookassa.ts';
import type { Cast } from './seed.ts';

/** Posts a signed payment to the generic webhook, as a shop would. */
async function pay(app: App, cast: Cast, paymentId: string): Promise<string> {
  if (app.webhookUrl === undefined || cast.userId === undefined) {
    throw new Error('the webhook server is not running');
  }
  const body = JSON.stringify({
    event: 'payment.succeeded',
    payment_id: paymentId,
    reference: encodeOrderReference({ userId: cast.userId, planCode: 'month' }),
    amount: '299.00',
    currency: 'RUB',
  });
  const timestamp = Math.floor(Date.now() / 1000);
  const response = await fetch(new URL('webhooks/generic', app.webhookUrl), {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-keywarden-timestamp': String(timestamp),
      'x-keywarden-signature': signGenericWebhook(
        DEMO_ENVIRONMENT['KEYWARDEN_WEBHOOK_SECRET'] ?? '',
        timestamp,
        body,
      ),
    },
    body,
  });
  return `${String(response.status)} ${await response.text()}`;
}

/**
 * A card purchase as the bot makes it (docs/payments.md): an order, a YooKassa payment with the order's
 * idempotence key that also saves the card, the customer pays, YooKassa notifies the webhook. Then
 * one automatic renewal: the autopay pass charges the saved card through a renewal order.
 */
async function buyByCardThenRenew(
  pool: pg.Pool,
  app: App,
  cast: Cast,
  yookassa: FakeYooKassaServer,
  log: Logger,
): Promise<void> {
  if (app.webhookUrl === undefined || cast.userId === undefined) {
    throw new Error('the webhook server is not running');
  }
  const plan = await findPlan(pool, { code: 'month' });
  if (plan === null) {
    throw new Error('the demo plan is missing');
  }
  const created = await createOrder(pool, {
    userId: cast.userId,
    planId: plan.id,
    provider: 'yookassa',
    currency: 'RUB',
    lifetimeMs: 3_600_000,
    saveMethod: true,
  });
  if (created.kind !== 'created') {
    throw new Error('the demo plan has no RUB price');
  }
  const order = created.order;
  const api = createYooKassaApi({
    shopId: yookassa.shopId,
    secretKey: 'demo-secret-key',
    apiRoot: yookassa.apiRoot,
    timeoutMs: 2_000,
  });
  const payment = await api.createPayment({
    idempotenceKey: order.idempotenceKey,
    amount: order.amount,
    currency: order.currency,
    description: 'VPN 30 days',
    metadata: { kw_ref: encodeOrderId(order.id) },
    returnUrl: 'https://t.me/keywarden_demo_bot',
    savePaymentMethod: true,
  });
  if (payment.kind !== 'created') {
    throw new Error(`the fake YooKassa refused: ${payment.reason}`);
  }
  await markOrderPending(pool, order.id, {
    providerPaymentId: payment.payment.id,
    confirmationUrl: payment.payment.confirmationUrl,
  });
  log.info(
    { order: order.id, pay: payment.payment.confirmationUrl },
    '▸ frank buys a month by card: the bot made an order and a YooKassa payment and shows him a Pay button',
  );
  const response = await fetch(new URL('webhooks/yookassa', app.webhookUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: yookassa.succeed(payment.payment.id),
  });
  log.info(
    { answer: `${String(response.status)} ${await response.text()}` },
    '▸ frank paid and saved his card; YooKassa notifies keywarden, which re-fetches the payment and grants one period',
  );
  const renewal = await runAutopayPass({
    pool,
    api,
    // A lead longer than his coverage, so the demo shows the renewal now rather than in a month.
    schedule: {
      leadMs: 400 * 86_400_000,
      retryMs: 3_600_000,
      maxAttempts: 3,
      currency: 'RUB',
      orderLifetimeMs: 3_600_000,
    },
    logger: log,
  });
  log.info(
    { renewal },
    '▸ autopay renews frank with his saved card: one renewal order, one charge with its own idempotence key, one more period',
  );
}

export async function playScript(options: {
  pool: pg.Pool;
  log: Logger;
  cast: Map<string, Cast>;
  legacy: SimulatedPanel;
  app: App;
  at: (seconds: number) => number;
  signal: AbortSignal;
  yookassa: FakeYooKassaServer;
}): Promise<void> {
  const { log, cast, legacy, app, at, signal } = options;
  const started = Date.now();
  const until = async (seconds: number): Promise<boolean> => {
    await sleep(started + at(seconds) - Date.now(), signal);
    return !signal.aborted;
  };
  const member = (name: string): Cast => {
    const found = cast.get(name);
    if (!found) {
      throw new Error(`unknown demo user ${name}`);
    }
    return found;
  };

  if (!(await until(20))) {
    return;
  }
  log.info('▸ bob’s subscription ends in 5 s: watch his key get suspended at the boundary');
  if (!(await until(30))) {
    return;
  }
  log.info(
    { answer: await pay(app, member('carol'), 'demo-carol-renewal') },
    '▸ carol renews through the payment webhook, 10 s before her period ends',
  );
  if (!(await until(35))) {
    return;
  }
  log.info(
    { answer: await pay(app, member('bob'), 'demo-bob-renewal') },
    '▸ bob pays again through the payment webhook: his suspended key comes back',
  );
  if (!(await until(45))) {
    return;
  }
  log.info(
    { answer: await pay(app, member('dave'), 'demo-dave-1') },
    '▸ dave, who never had a subscription, pays through the payment webhook: his key is created',
  );
  if (!(await until(47))) {
    return;
  }
  await buyByCardThenRenew(options.pool, app, member('frank'), options.yookassa, log);
  if (!(await until(50))) {
    return;
  }
  await legacy.setFault({ kind: 'down', mode: 'refuse' });
  log.warn(
    '▸ panel us-1 goes down for 25 s; erin’s trial ends meanwhile. keywarden cannot read us-1, so it holds and retries instead of guessing',
  );
  if (!(await until(75))) {
    return;
  }
  await legacy.clearFault();
  log.info('▸ panel us-1 is back: keywarden reads it again and suspends erin’s key');
  if (!(await until(90))) {
    return;
  }
  const { rows } = await options.pool.query<{
    email: string;
    username: string;
    panel: string;
    desired: string;
    reason: string;
    converged: boolean;
  }>(
    `select k.email, u.username, p.name as panel, s.desired ->> 'kind' as desired, s.desired ->> 'reason' as reason, s.converged
     from vpn_keys k join users u on u.id = k.user_id join panels p on p.id = k.panel_id
     left join key_state s on s.key_id = k.id order by k.id`,
  );
  for (const row of rows) {
    log.info(
      {
        key: row.email,
        user: row.username,
        panel: row.panel,
        desired: row.desired,
        reason: row.reason,
        converged: row.converged,
      },
      '▸ summary',
    );
  }
  log.info(
    { metrics: app.httpUrl === undefined ? undefined : `${app.httpUrl}metrics` },
    '▸ the script is done; keywarden keeps reconciling. Try `curl` on the metrics URL, then Ctrl-C to stop and clean up',
  );
}

/** Prints every reconcile event as one readable line while the demo runs. */
export async function narrateEvents(pool: pg.Pool, log: Logger, signal: AbortSignal): Promise<void> {
  let lastId = '0';
  // A function, not the property: the compiler would otherwise assume it cannot change in the loop.
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    await sleep(500, signal);
    if (stopped()) {
      return;
    }
    try {
      const { rows } = await pool.query<{
        id: string;
        email: string | null;
        username: string | null;
        panel: string | null;
        action: string;
        reason: string;
        outcome: string;
        error: string | null;
      }>(
        `select e.id, k.email, u.username, p.name as panel, e.action, e.reason, e.outcome, e.error
         from reconcile_events e left join vpn_keys k on k.id = e.key_id left join users u on u.id = k.user_id
         left join panels p on p.id = e.panel_id
         where e.id > $1 order by e.id limit 200`,
        [lastId],
      );
      for (const row of rows) {
        lastId = row.id;
        log.info(
          {
            panel: row.panel,
            key: row.email,
            user: row.username,
            reason: row.reason,
            outcome: row.outcome,
            ...(row.error === null ? {} : { error: row.error }),
          },
          `◆ ${row.action}`,
        );
      }
    } catch (error) {
      if (!stopped()) {
        log.warn({ err: toError(error) }, 'reading reconcile events failed');
      }
    }
  }
}
