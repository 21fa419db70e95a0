/**
 * The `kwtest-` clients a contract run makes, and their cleanup. On a real panel (XUI_TEST_*) a
 * leftover test client is a live VPN client, so every email is recorded *before* the request that
 * creates it is sent, and the suite's afterAll deletes every recorded one — whether the test that made
 * it passed, failed midway, or never got an answer — then confirms each is gone. Only clients this run
 * recorded are touched: other `kwtest-` clients (another run's, on a shared panel) are left alone.
 */
import { randomBytes } from 'node:crypto';
import { asClientEmail, type ClientEmail } from '../../src/domain/ids.ts';
import type { XuiPanelClient } from '../../src/xui/index.ts';

/** Prefix of every client the contract suite creates. */
export const TEST_CLIENT_PREFIX = 'kwtest-';

/** The clients one run made on one panel. */
export interface TestClientTracker {
  /** A fresh `kwtest-` email, recorded for cleanup at once (before any request is sent). */
  newEmail(tag?: string): ClientEmail;
  /** A client a test deleted itself: nothing left to clean up. */
  forget(email: ClientEmail): void;
  /** The emails still to clean up. */
  pending(): ReadonlyArray<ClientEmail>;
}

/** Creates an empty tracker. */
export function createTestClientTracker(): TestClientTracker {
  const emails = new Set<ClientEmail>();
  return {
    newEmail: (tag) => {
      const email = asClientEmail(
        `${TEST_CLIENT_PREFIX}${tag === undefined ? '' : `${tag}-`}${randomBytes(5).toString('hex')}`,
      );
      emails.add(email);
      return email;
    },
    forget: (email) => {
      emails.delete(email);
    },
    pending: () => [...emails],
  };
}

/**
 * Deletes every client the tracker recorded (a failed delete is tried once more), then reads each one
 * back: a client still there, or one whose state cannot be read, is reported. Never throws, so the
 * caller's `finally` (closing the panel) always runs. Returns `email: reason` lines; empty means clean.
 */
export async function cleanupTestClients(
  client: XuiPanelClient,
  tracker: TestClientTracker,
  timeoutMs = 20_000,
): Promise<string[]> {
  const leftovers: string[] = [];
  for (const email of tracker.pending()) {
    let lastError = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await client.deleteClient(email, AbortSignal.timeout(timeoutMs));
        lastError = '';
        break;
      } catch (thrown: unknown) {
        lastError = thrown instanceof Error ? thrown.message : String(thrown);
      }
    }
    try {
      const still = await client.getClient(email, AbortSignal.timeout(timeoutMs));
      if (still === null) {
        tracker.forget(email);
      } else {
        leftovers.push(`${email}: still on the panel${lastError === '' ? '' : ` (${lastError})`}`);
      }
    } catch (thrown: unknown) {
      const reason = thrown instanceof Error ? thrown.message : String(thrown);
      leftovers.push(`${email}: could not confirm the delete (${lastError === '' ? reason : lastError})`);
    }
  }
  return leftovers;
}

/** The error an afterAll throws when test clients are left: the emails, to delete by hand. */
export function leftoverError(leftovers: ReadonlyArray<string>): Error {
  return new Error(`test clients left on the panel (delete them by hand):\n${leftovers.join('\n')}`);
}
