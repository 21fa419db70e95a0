/**
 * Payment provider API clients (issue 16): the calls keywarden makes to create payments, invoices and
 * refunds. Used by the bot (checkout, autopay) and the CLI (refunds). HTTP over global fetch; no
 * database, no Telegram.
 */
export {
  createYooKassaApi,
  readYooKassaPayment,
  type CreateYooKassaPayment,
  type YooKassaApi,
  type YooKassaApiOptions,
  type YooKassaCreateResult,
  type YooKassaPayment,
  type YooKassaReceipt,
  type YooKassaRefundResult,
} from './yookassa.ts';
export {
  createCryptoPayApi,
  CRYPTOPAY_FIATS,
  type CreateCryptoPayInvoice,
  type CryptoPayApi,
  type CryptoPayApiOptions,
  type CryptoPayInvoiceResult,
} from './cryptopay.ts';
export { fixedDecimals, trimDecimals, type ApiResult } from './http.ts';
