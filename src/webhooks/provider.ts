/**
 * The one small interface every payment provider implements (issue 5): verify where a request
 * comes from, parse its body into a payment event, and optionally confirm the event with the
 * provider's API before anything is written. The server (server.ts) owns HTTP, limits, logging and
 * the database; providers own only their wire format and their trust rules.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ParseError, PaymentReference, Result } from '../domain/index.ts';
import type { Logger } from '../shared/index.ts';

/** The providers the webhook server knows; also the `payments.provider` value they write. */
export const PROVIDER_NAMES = ['yookassa', 'cryptobot', 'generic'] as const;

/** One of PROVIDER_NAMES. */
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** What a provider may look at to decide whether to trust a request. */
export interface VerifyInput {
  /** Headers as node:http gives them (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** The caller's address (the trusted proxy header's value when configured), or null when unknown. */
  readonly clientAddress: string | null;
  /** The body exactly as received: signatures are computed over these bytes. */
  readonly rawBody: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON (some signature schemes hash it). */
  readonly json: unknown;
  /** When the request arrived (replay windows compare against it). */
  readonly receivedAt: Date;
}

/** The verdict on a request's origin. */
export type Verification =
  | { readonly kind: 'accepted' }
  | {
      readonly kind: 'rejected';
      /** 401: missing or wrong signature; 403: a source we do not accept. */
      readonly status: 401 | 403;
      readonly code: string;
      /** Why, for the log and the answer; never contains a secret. */
      readonly reason: string;
    };

/** What a provider's notification means for us. */
export type PaymentEvent =
  | {
      readonly kind: 'paid';
      /** The provider's id of the payment: the idempotency key of `payments`. */
      readonly externalId: string;
      /** The order (or, legacy, the user and plan) the payment names. */
      readonly reference: PaymentReference;
      /** Decimal string as the provider sent it. */
      readonly amount: string;
      readonly currency: string;
      /** What to keep in `payments.payload` (no secrets). */
      readonly payload: Readonly<Record<string, unknown>>;
      /** The card the provider saved with this payment, for automatic renewals. */
      readonly savedMethodId?: string;
    }
  | {
      readonly kind: 'refunded';
      /** The provider's id of the payment that was refunded. */
      readonly externalId: string;
      /** The provider's id of the refund itself, when it has one. */
      readonly refundId: string | null;
      /** What to keep under `payments.payload.refund`. */
      readonly refund: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: 'ignored';
      readonly externalId: string | null;
      /** Why nothing is written (e.g. `payment canceled`), for the log and the answer. */
      readonly reason: string;
      /**
       * Set when the provider cancelled the payment for good: its open order ends (`cancelled`, or
       * `failed` for an automatic renewal charge). Nothing about money is written.
       */
      readonly cancellation?: { readonly reason: string };
    };

/** What confirming an event with the provider's API found. */
export type Confirmation =
  | { readonly kind: 'confirmed'; readonly event: PaymentEvent }
  /** The provider's API could not be asked (network, timeout, 5xx): the provider should retry. */
  | { readonly kind: 'unavailable'; readonly reason: string; readonly cause?: Error }
  /** The API contradicts the notification (unknown object, other status): nothing is written. */
  | { readonly kind: 'disagrees'; readonly reason: string }
  /** The API's object is not one of ours (e.g. no order reference): answered like a bad body. */
  | { readonly kind: 'invalid'; readonly error: ParseError };

/** What `confirm` gets besides the event. */
export interface ConfirmContext {
  readonly logger: Logger;
  /** Aborted when the server closes. */
  readonly signal: AbortSignal;
}

/** One payment provider's wire format and trust rules. */
export interface WebhookProvider {
  readonly name: ProviderName;
  /** Says which checks are on, for the start-up log line (no secrets). */
  readonly description: string;
  /** Decides whether the request comes from the provider (signature, source address). */
  verify(request: VerifyInput): Verification;
  /** Parses the JSON body; never throws. */
  parse(json: unknown): Result<PaymentEvent, ParseError>;
  /** When present, the event is re-checked with the provider's API and the answer is acted on instead. */
  confirm?(event: PaymentEvent, context: ConfirmContext): Promise<Confirmation>;
}
