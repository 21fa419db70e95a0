/**
 * Encryption at rest of stored credentials (panel passwords and API tokens), DESIGN.md §7:
 * AES-256-GCM from node:crypto under KEYWARDEN_SECRET_KEY.
 *
 * A sealed value is the text `kw1:<key id>:<base64url of iv (12 bytes) | ciphertext | tag (16 bytes)>`.
 * The key id (first 8 hex digits of SHA-256 of the key) says which key sealed it, so after a key
 * rotation the previous keys (KEYWARDEN_SECRET_KEY_PREVIOUS) still open old values until
 * `keywarden rekey` has sealed everything again under the current key. The additional
 * authenticated data names what the value is (`panels.auth`), so a sealed value cannot be moved
 * into another kind of field.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'kw1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A value that could not be opened: no key for it, or the data was changed (authentication failed). */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** Seals and opens secrets with the current key; opens with previous keys too. */
export interface SecretBox {
  /** The current key's id (8 hex digits; not secret). */
  readonly keyId: string;
  /** Encrypts `plain` under the current key for the field named by `purpose`. */
  seal(plain: string, purpose: string): string;
  /** Decrypts a sealed value; throws SecretBoxError when no known key opens it. */
  open(sealed: string, purpose: string): string;
  /** The id of the key that sealed `sealed`, or null when it is not a sealed value. */
  keyIdOf(sealed: string): string | null;
}

/** True when `value` has the form of a sealed value. */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(`${VERSION}:`);
}

/**
 * Decodes a key given as 64 hex digits or as base64 of 32 bytes; null when it is neither.
 * `openssl rand -hex 32` or `openssl rand -base64 32` make one.
 */
export function decodeSecretKey(text: string): Buffer | null {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) {
    return Buffer.from(trimmed, 'hex');
  }
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
    return bytes.length === 32 ? bytes : null;
  }
  return null;
}

const idOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 8);

/**
 * Creates the box from the current key and any previous ones (each 64 hex digits or base64 of
 * 32 bytes). Throws SecretBoxError on a key that is not one: config parsing checks this first.
 */
export function createSecretBox(currentKey: string, previousKeys: readonly string[] = []): SecretBox {
  const keys = new Map<string, Buffer>();
  const decode = (text: string): Buffer => {
    const key = decodeSecretKey(text);
    if (key === null) {
      throw new SecretBoxError('a secret key must be 64 hex digits or base64 of 32 bytes');
    }
    return key;
  };
  const current = decode(currentKey);
  const currentId = idOf(current);
  keys.set(currentId, current);
  for (const text of previousKeys) {
    const key = decode(text);
    if (!keys.has(idOf(key))) {
      keys.set(idOf(key), key);
    }
  }
  return {
    keyId: currentId,
    seal(plain, purpose) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(purpose, 'utf8'));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      const packed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
      return `${VERSION}:${currentId}:${packed}`;
    },
    open(sealed, purpose) {
      const [version, keyId, packed, ...rest] = sealed.split(':');
      if (version !== VERSION || keyId === undefined || packed === undefined || rest.length > 0) {
        throw new SecretBoxError('not a sealed value');
      }
      const key = keys.get(keyId);
      if (key === undefined) {
        throw new SecretBoxError(
          `sealed with key ${keyId}, which is neither KEYWARDEN_SECRET_KEY nor in KEYWARDEN_SECRET_KEY_PREVIOUS`,
        );
      }
      const bytes = Buffer.from(packed, 'base64url');
      if (bytes.length < IV_BYTES + TAG_BYTES) {
        throw new SecretBoxError('a sealed value is truncated');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(purpose, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // node:crypto says only "Unsupported state or unable to authenticate data".
        throw new SecretBoxError(
          `a value sealed with key ${keyId} failed authentication (changed or corrupt)`,
        );
      }
    },
    keyIdOf(sealed) {
      if (!isSealed(sealed)) {
        return null;
      }
      return sealed.split(':')[1] ?? null;
    },
  };
}

/** The box for the settings KEYWARDEN_SECRET_KEY and KEYWARDEN_SECRET_KEY_PREVIOUS; undefined without a key. */
export function secretBoxFrom(settings: {
  readonly secretKey: string | undefined;
  readonly secretKeyPrevious: readonly string[] | undefined;
}): SecretBox | undefined {
  return settings.secretKey === undefined
    ? undefined
    : createSecretBox(settings.secretKey, settings.secretKeyPrevious ?? []);
}
