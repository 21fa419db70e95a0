/**
 * The contact a customer gave for 54-FZ receipts (KEYWARDEN_YOOKASSA_RECEIPT): an e-mail address or a
 * phone number in international digits, kept on the user's row.
 */
import type pg from 'pg';
import type { UserId } from '../../domain/index.ts';

/** A receipt contact. */
export interface ReceiptContact {
  readonly email: string | null;
  /** Digits only, country code first (`79001234567`). */
  readonly phone: string | null;
}

/** Reads the user's receipt contact (both null when none was given). */
export async function findReceiptContact(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
): Promise<ReceiptContact> {
  const { rows } = await db.query<{ receipt_email: string | null; receipt_phone: string | null }>(
    'select receipt_email, receipt_phone from users where id = $1',
    [userId],
  );
  const row = rows[0];
  return { email: row?.receipt_email ?? null, phone: row?.receipt_phone ?? null };
}

/** Stores an e-mail address or a phone number; the other kind is kept. */
export async function saveReceiptContact(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  contact: { readonly email: string } | { readonly phone: string },
): Promise<void> {
  if ('email' in contact) {
    await db.query('update users set receipt_email = $2 where id = $1', [userId, contact.email]);
  } else {
    await db.query('update users set receipt_phone = $2 where id = $1', [userId, contact.phone]);
  }
}
