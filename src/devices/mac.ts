/** MAC address text for the devices area: the normalizer lives in util/mac.ts (configuration checks it too). */
export { isMac, normalizeMac, ZERO_MAC } from '../util/mac.js';
