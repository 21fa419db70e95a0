/**
 * Crypto Pay (@CryptoBot) `invoice_paid` updates (reference/payments.md §3).
 *
 * The signature is a hex HMAC-SHA256 in `crypto-pay-api-signature`, keyed by SHA-256 of the app
 * token as raw 32 bytes. It is checked over the raw body first; when that fails, over
 * `JSON.stringify(parsed body)` as well, because Crypto Pay's own Node example and three JS wrappers
 * hash the re-serialised body (§3.3). Both need the secret, so the fallback is safe.
 *
 * Payments are keyed on `invoice_id` (`update_id` is not known to be unique, §3.4).
 */
import { createHash, createHmac } from 'node:crypto';
import { err, ok, parsePaymentReference, type ParseError, type Result } from '../../domain/index.ts';
import type { PaymentEvent, Verification, VerifyInput, WebhookProvider } from '../provider.ts';
import { headerValue, hexMatches } from '../signature.ts';
import { pickScalars, readAmount, readCurrency, readLiteral, readObject } from '../wire.ts';

/** The signature header. */
export const CRYPTOPAY_SIGNATURE_HEADER = 'crypto-pay-api-signature';

/** Computes the signature Crypto Pay sends for a body (for tests). */
export function signCryptoPayUpdate(token: string, body: string | Buffer): string {
  const key = createHash('sha256').update(token).digest();
  return createHmac('sha256', key).update(body).digest('hex');
}

/** Creates the Crypto Pay provider for one app token. */
export function createCryptoPayProvider(options: { readonly token: string }): WebhookProvider {
  const key = createHash('sha256').update(options.token).digest();
  return {
    name: 'cryptobot',
    description: 'HMAC-SHA256 signature keyed by SHA-256 of the app token',
    verify(request: VerifyInput): Verification {
      const signature = headerValue(request.headers[CRYPTOPAY_SIGNATURE_HEADER]);
      if (signature === undefined) {
        return {
          kind: 'rejected',
          status: 401,
          code: 'missing-signature',
          reason: `${CRYPTOPAY_SIGNATURE_HEADER} is required`,
        };
      }
      if (hexMatches(signature, createHmac('sha256', key).update(request.rawBody).digest())) {
        return { kind: 'accepted' };
      }
      if (request.json !== undefined) {
        const reserialised = JSON.stringify(request.json);
        if (hexMatches(signature, createHmac('sha256', key).update(reserialised).digest())) {
          return { kind: 'accepted' };
        }
      }
      return {
        kind: 'rejected',
        status: 401,
        code: 'bad-signature',
        reason: 'the signature does not match the body',
      };
    },
    parse: parseCryptoPayUpdate,
  };
}

/** Parses a Crypto Pay webhook update. */
export function parseCryptoPayUpdate(json: unknown): Result<PaymentEvent, ParseError> {
  const update = readObject(json, '$');
  if (!update.ok) {
    return update;
  }
  const type = readLiteral(update.value['update_type'], 'update_type', ['invoice_paid']);
  if (!type.ok) {
    return type;
  }
  const invoice = readObject(update.value['payload'], 'payload');
  if (!invoice.ok) {
    return invoice;
  }
  const id = invoice.value['invoice_id'];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) {
    return err({ path: 'payload.invoice_id', expected: 'a positive integer' });
  }
  const status = readLiteral(invoice.value['status'], 'payload.status', ['paid']);
  if (!status.ok) {
    return status;
  }
  const amount = readAmount(invoice.value['amount'], 'payload.amount');
  if (!amount.ok) {
    return amount;
  }
  const fiat = invoice.value['currency_type'] === 'fiat';
  const currency = fiat
    ? readCurrency(invoice.value['fiat'], 'payload.fiat')
    : readCurrency(invoice.value['asset'], 'payload.asset');
  if (!currency.ok) {
    return currency;
  }
  const reference = parsePaymentReference(invoice.value['payload'], 'payload.payload');
  if (!reference.ok) {
    return reference;
  }
  return ok({
    kind: 'paid',
    externalId: String(id),
    reference: reference.value,
    amount: amount.value,
    currency: currency.value,
    payload: {
      ...pickScalars(invoice.value, [
        'hash',
        'paid_asset',
        'paid_amount',
        'fee_asset',
        'fee_amount',
        'paid_at',
      ]),
      ...pickScalars(update.value, ['update_id', 'request_date']),
      reference: invoice.value['payload'],
    },
  });
}
