/**
 * Subscription tokens (issue 15): one per customer, random, stored only as a hash.
 *
 * The token is HMAC-SHA-256(KEYWARDEN_SUB_TOKEN_SECRET, nonce), cut to 192 bits and written in
 * base64url (32 characters). The nonce is 128 random bits kept in `subscription_tokens`, so the bot
 * can show the same URL again; the database alone (nonce and hash) never yields a usable token. The
 * subscription server finds the customer by SHA-256(token) and compares the hashes in constant time.
 * Rotation replaces nonce and hash in one statement: the old URL answers 404 from that commit on.
 * Changing the secret changes every token (the next time one is shown, its new hash is stored).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { asUserId, type UserId } from '../../domain/index.ts';

const TOKEN_BYTES = 24;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/** The token of `nonce` under `secret` (32 base64url characters). */
export function deriveSubscriptionToken(secret: string, nonce: Buffer): string {
  return createHmac('sha256', secret)
    .update('keywarden-sub-token:')
    .update(nonce)
    .digest()
    .subarray(0, TOKEN_BYTES)
    .toString('base64url');
}

/** SHA-256 of a token, as stored in `subscription_tokens.token_hash`. */
export function hashSubscriptionToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** Whether `value` has the shape of a token (cheap check before any hashing or query). */
export function isSubscriptionTokenShaped(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}

/**
 * The customer's current token, creating it on first use. If the stored hash does not match (the
 * secret was changed), the hash of the token derived now is stored, so the URL shown works.
 */
export async function subscriptionTokenOf(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  secret: string,
): Promise<string> {
  const nonce = randomBytes(16);
  await db.query(
    `insert into subscription_tokens (user_id, nonce, token_hash) values ($1, $2, $3)
     on conflict (user_id) do nothing`,
    [userId, nonce, hashSubscriptionToken(deriveSubscriptionToken(secret, nonce))],
  );
  const { rows } = await db.query<{ nonce: Buffer; token_hash: Buffer }>(
    'select nonce, token_hash from subscription_tokens where user_id = $1',
    [userId],
  );
  const row = rows[0];
  if (row === undefined) {
    throw new Error(`subscription token of user ${userId} vanished after insert`);
  }
  const token = deriveSubscriptionToken(secret, row.nonce);
  const hash = hashSubscriptionToken(token);
  if (!hash.equals(row.token_hash)) {
    await db.query('update subscription_tokens set token_hash = $2 where user_id = $1 and nonce = $3', [
      userId,
      hash,
      row.nonce,
    ]);
  }
  return token;
}

/** Gives the customer a new token; the previous one stops working at once. Returns the new token. */
export async function rotateSubscriptionToken(
  db: pg.Pool | pg.ClientBase,
  userId: UserId,
  secret: string,
): Promise<string> {
  const nonce = randomBytes(16);
  const token = deriveSubscriptionToken(secret, nonce);
  await db.query(
    `insert into subscription_tokens (user_id, nonce, token_hash, rotated_at) values ($1, $2, $3, now())
     on conflict (user_id) do update set nonce = excluded.nonce, token_hash = excluded.token_hash,
       rotated_at = excluded.rotated_at`,
    [userId, nonce, hashSubscriptionToken(token)],
  );
  return token;
}

/**
 * The customer whose token hashes to `tokenHash`, or null. The lookup goes by the hash (an index on
 * a value the caller cannot steer byte by byte), and the stored hash is compared in constant time.
 */
export async function findSubscriptionUser(
  db: pg.Pool | pg.ClientBase,
  tokenHash: Buffer,
): Promise<UserId | null> {
  const { rows } = await db.query<{ user_id: string; token_hash: Buffer }>(
    'select user_id, token_hash from subscription_tokens where token_hash = $1',
    [tokenHash],
  );
  const row = rows[0];
  if (row === undefined || row.token_hash.length !== tokenHash.length) {
    return null;
  }
  return timingSafeEqual(row.token_hash, tokenHash) ? asUserId(row.user_id) : null;
}
