import { describe, expect, it } from 'vitest';
import { callbackUpdate, textUpdate, type TgUser } from '../../fakes/telegram-updates.ts';
import { insertPanel } from '../../support/builders.ts';
import { useTestDatabase } from '../../support/database.ts';
import { ADMIN_ID, buttonsOf, testBot, textOf, useFakeBotApi } from './support.ts';

const database = useTestDatabase();
const fake = useFakeBotApi();
const admin: TgUser = { id: ADMIN_ID, first_name: 'Root', language_code: 'en' };

describe('held plans', () => {
  it('lists an open held plan to an admin and confirms exactly that plan once', async () => {
    const pool = database().pool;
    const panel = await insertPanel(pool, { name: 'nl-1' });
    await pool.query(
      `insert into held_plans (fingerprint, panel_id, cause, actions, action_count)
       values ('0badc0de12345678', $1, 'valve-tripped', '[]', 12), ('feedbeef87654321', $1, 'empty-desired', '[]', 3)`,
      [panel],
    );
    const bot = testBot(pool, fake());
    await bot.handleUpdate(textUpdate(admin, '/stats'));
    expect(textOf(fake().callsOf('sendMessage')[0])).toContain('Held plans awaiting confirmation: 2');

    await bot.handleUpdate(textUpdate(admin, '/held'));
    const listed = fake().callsOf('sendMessage').slice(1);
    expect(listed.map(textOf)).toEqual([
      'Held plan on nl-1: 12 disable(s) held (valve-tripped).',
      'Held plan on nl-1: 3 disable(s) held (empty-desired).',
    ]);
    expect(buttonsOf(listed[0])).toEqual(['held:0badc0de12345678']);

    await bot.handleUpdate(callbackUpdate(admin, 'held:0badc0de12345678'));
    await bot.handleUpdate(callbackUpdate(admin, 'held:0badc0de12345678'));
    const texts = fake().callsOf('sendMessage').map(textOf);
    expect(texts.at(-2)).toContain('Confirmed');
    expect(texts.at(-1)).toContain('no longer open');
    const { rows } = await pool.query<{ fingerprint: string; confirmed_by: string | null }>(
      'select fingerprint, confirmed_by from held_plans order by fingerprint',
    );
    expect(rows).toEqual([
      { fingerprint: '0badc0de12345678', confirmed_by: `telegram:${ADMIN_ID}` },
      { fingerprint: 'feedbeef87654321', confirmed_by: null },
    ]);
  });
});
