/**
 * The Crypto Pay API call keywarden makes itself (reference/payments.md §3.1): `createInvoice` with the
 * order reference as `payload`. A fiat price (USD, EUR, RUB, ...) makes a fiat invoice payable in the
 * configured assets; a price in an asset (USDT, TON, ...) makes a crypto invoice in that asset. The
 * paid update names `fiat` or `asset` as its currency, which is the order's currency either way.
 */
import { callJsonApi, trimDecimals } from './http.ts';

/** Fiat currencies Crypto Pay invoices accept (its `fiat` parameter). */
export const CRYPTOPAY_FIATS: ReadonlySet<string> = new Set([
  'USD',
  'EUR',
  'RUB',
  'BYN',
  'UAH',
  'GBP',
  'CNY',
  'KZT',
  'UZS',
  'GEL',
  'TRY',
  'AMD',
  'THB',
  'INR',
  'BRL',
  'IDR',
  'AZN',
  'AED',
  'PLN',
  'ILS',
]);

/** Where the API is and the app token. */
export interface CryptoPayApiOptions {
  readonly token: string;
  /** e.g. `https://pay.crypt.bot/api/` (testnet: `https://testnet-pay.crypt.bot/api/`). */
  readonly apiRoot: string;
  readonly timeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** An invoice to create. */
export interface CreateCryptoPayInvoice {
  /** Decimal string. */
  readonly amount: string;
  /** A fiat code or an asset. */
  readonly currency: string;
  /** For fiat invoices: the assets the customer may pay with. */
  readonly acceptedAssets: readonly string[];
  readonly description: string;
  /** Our order reference `o:<order id>`. */
  readonly payload: string;
  readonly expiresInSeconds: number;
}

/** What createInvoice came to. */
export type CryptoPayInvoiceResult =
  | { readonly kind: 'created'; readonly invoiceId: string; readonly url: string }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'unavailable'; readonly reason: string; readonly cause?: Error };

/** The Crypto Pay calls. */
export interface CryptoPayApi {
  createInvoice(invoice: CreateCryptoPayInvoice, signal?: AbortSignal): Promise<CryptoPayInvoiceResult>;
}

/** Creates the client. */
export function createCryptoPayApi(options: CryptoPayApiOptions): CryptoPayApi {
  const apiRoot = options.apiRoot.endsWith('/') ? options.apiRoot : `${options.apiRoot}/`;
  return {
    async createInvoice(invoice, signal) {
      const fiat = CRYPTOPAY_FIATS.has(invoice.currency);
      const body = {
        ...(fiat
          ? {
              currency_type: 'fiat',
              fiat: invoice.currency,
              accepted_assets: invoice.acceptedAssets.join(','),
            }
          : { currency_type: 'crypto', asset: invoice.currency }),
        amount: trimDecimals(invoice.amount),
        description: invoice.description.slice(0, 1024),
        payload: invoice.payload,
        expires_in: Math.max(1, Math.min(2_678_400, Math.round(invoice.expiresInSeconds))),
        allow_comments: false,
      };
      const result = await callJsonApi({
        url: new URL('createInvoice', apiRoot),
        method: 'POST',
        headers: { 'crypto-pay-api-token': options.token },
        body,
        timeoutMs: options.timeoutMs,
        signal,
        fetch: options.fetch,
        op: 'createInvoice',
      });
      if (result.kind === 'unavailable') {
        return result;
      }
      // Crypto Pay answers {ok: false, error: {code, name}} (often with HTTP 400) when it refuses.
      const answer = result.kind === 'ok' ? result.body : result.body;
      if (answer === null || answer['ok'] !== true) {
        const error = answer?.['error'];
        const name =
          typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
            ? error.name
            : result.kind === 'refused'
              ? result.reason
              : 'unknown error';
        return { kind: 'refused', reason: `createInvoice refused: ${name}` };
      }
      const invoiceResult = answer['result'];
      if (typeof invoiceResult !== 'object' || invoiceResult === null) {
        return { kind: 'unavailable', reason: 'createInvoice answered without a result' };
      }
      const fields = invoiceResult as Readonly<Record<string, unknown>>;
      const id = fields['invoice_id'];
      const url = fields['bot_invoice_url'] ?? fields['pay_url'];
      if (typeof id !== 'number' || typeof url !== 'string') {
        return {
          kind: 'unavailable',
          reason: 'createInvoice answered an invoice without invoice_id or bot_invoice_url',
        };
      }
      return { kind: 'created', invoiceId: String(id), url };
    },
  };
}
