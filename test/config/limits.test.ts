/** The limits section: defaults, the schema's bounds, and the semantic check the config checker calls. */
import { describe, expect, it } from 'vitest';
import { checkLimitsConfig, limitsDefaults, limitsSchema } from '../../src/config/sections/limits.js';
import { checkConfig } from '../../src/config/check.js';
import { checkEngine } from '../../src/daemon/main.js';
import { configDefaults } from '../../src/config/schema.js';

describe('limits config', () => {
  it('defaults are consistent, and every default is within the schema', () => {
    expect(checkLimitsConfig(limitsDefaults)).toEqual([]);
    for (const [k, v] of Object.entries(limitsDefaults)) {
      const p = limitsSchema.properties[k as keyof typeof limitsSchema.properties] as { minimum?: number; maximum?: number };
      expect(v, k).toBeGreaterThanOrEqual(p.minimum ?? -Infinity);
      expect(v, k).toBeLessThanOrEqual(p.maximum ?? Infinity);
    }
  });

  it('more investigations per client than in all is reported with its path, also by engine --check, once', () => {
    const bad = { ...limitsDefaults, investigations: 2, investigationsPerClient: 3 };
    expect(checkLimitsConfig(bad)).toEqual(['limits.investigationsPerClient: 3 is more than limits.investigations (2)']);
    // engine --check, engine, watch, doctor and a reload all report the registry's problems and the engine's own.
    const cfg = { ...configDefaults, limits: bad };
    const all = [...checkConfig(cfg), ...checkEngine(cfg, { nfcapdDir: '/srv/nfcapd' }).problems];
    expect(all).toEqual(['limits.investigationsPerClient: 3 is more than limits.investigations (2)']);
  });
});
