import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, decodeSecretKey, isSealed, SecretBoxError } from '../../../src/db/index.ts';

const KEY = randomBytes(32).toString('hex');
const OTHER = randomBytes(32).toString('base64');

describe('secret box (AES-256-GCM)', () => {
  it('seals to a value without the plain text and opens it again', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal('hunter2-panel-password', 'panels.auth');
    expect(isSealed(sealed)).toBe(true);
    expect(sealed).not.toContain('hunter2');
    expect(sealed.startsWith(`kw1:${box.keyId}:`)).toBe(true);
    expect(box.open(sealed, 'panels.auth')).toBe('hunter2-panel-password');
    // A fresh IV each time: the same secret never seals to the same text.
    expect(box.seal('hunter2-panel-password', 'panels.auth')).not.toBe(sealed);
  });

  it('refuses a changed value, another purpose and an unknown key, naming no secret', () => {
    const box = createSecretBox(KEY);
    const sealed = box.seal('hunter2', 'panels.auth');
    const packed = sealed.split(':')[2]!;
    const flipped = `${packed.slice(0, 20)}${packed[20] === 'A' ? 'B' : 'A'}${packed.slice(21)}`;
    expect(() => box.open(`kw1:${box.keyId}:${flipped}`, 'panels.auth')).toThrow(/failed authentication/);
    expect(() => box.open(sealed, 'other.field')).toThrow(SecretBoxError);
    expect(() => createSecretBox(OTHER).open(sealed, 'panels.auth')).toThrow(
      new RegExp(`sealed with key ${box.keyId}`),
    );
  });

  it('opens values sealed under a previous key after a rotation, and seals with the new one', () => {
    const old = createSecretBox(KEY);
    const sealed = old.seal('token-123', 'panels.auth');
    const rotated = createSecretBox(OTHER, [KEY]);
    expect(rotated.open(sealed, 'panels.auth')).toBe('token-123');
    expect(rotated.keyIdOf(rotated.seal('x', 'panels.auth'))).toBe(rotated.keyId);
    expect(rotated.keyIdOf(sealed)).toBe(old.keyId);
  });

  it('takes keys as 64 hex digits or base64 of 32 bytes only', () => {
    expect(decodeSecretKey(KEY)?.length).toBe(32);
    expect(decodeSecretKey(OTHER)?.length).toBe(32);
    expect(decodeSecretKey('too-short')).toBeNull();
    expect(decodeSecretKey(randomBytes(16).toString('hex'))).toBeNull();
    expect(() => createSecretBox('nope')).toThrow(SecretBoxError);
  });
});
