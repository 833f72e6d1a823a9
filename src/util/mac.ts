/** MAC address text: every vendor spelling normalized to lower-case aa:bb:cc:dd:ee:ff. Pure. */

/** The all-zero MAC a gateway shows for an IP with no answer (Incomplete / Deleted). */
export const ZERO_MAC = '00:00:00:00:00:00';

/** Normalize `aabb.ccdd.eeff`, `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff` or `aabbccddeeff`; undefined when not a MAC. */
export function normalizeMac(text: string): string | undefined {
  const t = text.trim();
  let hex: string;
  if (/^[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}$/i.test(t)) hex = t.replace(/\./g, '');
  else if (/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i.test(t)) hex = t.replace(/[:-]/g, '');
  else if (/^[0-9a-f]{12}$/i.test(t)) hex = t;
  else return undefined;
  return hex.toLowerCase().match(/../g)!.join(':');
}

/** True for text that names a MAC in any accepted spelling. */
export function isMac(text: string): boolean {
  return normalizeMac(text) !== undefined;
}
