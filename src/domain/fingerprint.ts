/**
 * A short, stable fingerprint of a text (two 32-bit FNV-1a variants, 16 hex digits). Plans an
 * operator confirms later (held disables, adoption plans) are identified by the fingerprint of their
 * canonical text, so a confirmation applies to exactly the plan that was shown. Not a security hash.
 */
export function fingerprintText(text: string): string {
  let hash = 0x811c9dc5;
  let hash2 = 0x01000193;
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    hash = Math.imul(hash ^ code, 0x01000193) >>> 0;
    hash2 = Math.imul(hash2 ^ code, 0x811c9dc5) >>> 0;
  }
  return `${hash.toString(16).padStart(8, '0')}${hash2.toString(16).padStart(8, '0')}`;
}
