/**
 * The semantic configuration check (pure): what the JSON schema cannot say — every address and prefix parses, every
 * threshold key exists, URLs, mail addresses, ports, cross-field limits. Each section contributes one checker
 * returning "path: reason" lines; `nocflow config check`, `config set`, `engine`, `engine --check` and `watch` all
 * run {@link checkConfig}.
 *
 * Adding a section's checker is one line in {@link SECTION_CHECKERS}: export `check<Area>Config(cfg): string[]`
 * from `src/config/sections/<area>.ts` (building its lines with the helpers of `./validate.ts`) and list it here.
 */
import type { NocflowConfig } from './schema.js';
import { checkDevicesConfig } from './sections/devices.js';
import { checkElasticsearchConfig } from './sections/elasticsearch.js';
import { checkEngineConfig } from './sections/engine.js';
import { checkFlowspecConfig } from './sections/flowspec.js';
import { checkAlertsConfig } from './sections/alerts.js';
import { checkHuntConfig } from './sections/hunt.js';
import { checkIocConfig } from './sections/ioc.js';
import { checkLimitsConfig } from './sections/limits.js';

/** One section's semantic check: every problem as "path: reason" (empty when the section is fine). */
export type SectionChecker = (cfg: NocflowConfig) => string[];

/** The registry: every section's checker, in the order their problems are reported. */
export const SECTION_CHECKERS: { section: string; check: SectionChecker }[] = [
  { section: 'engine', check: checkEngineConfig },
  { section: 'devices', check: checkDevicesConfig },
  { section: 'elasticsearch', check: checkElasticsearchConfig },
  { section: 'flowspec', check: checkFlowspecConfig },
  { section: 'limits', check: (cfg) => checkLimitsConfig(cfg.limits ?? {}) },
  { section: 'alerts', check: checkAlertsConfig },
  { section: 'hunt', check: checkHuntConfig },
  { section: 'ioc', check: (cfg) => (cfg.ioc ? checkIocConfig(cfg.ioc) : []) },
];

/** Every semantic problem of a configuration (effective: defaults merged with the file), "path: reason" each. */
export function checkConfig(cfg: NocflowConfig, checkers = SECTION_CHECKERS): string[] {
  const out: string[] = [];
  for (const c of checkers) {
    try {
      out.push(...c.check(cfg));
    } catch (err) {
      // A checker that trips over a value it did not expect is itself a finding, not a crash of `config check`.
      out.push(`${c.section}: cannot be checked (${(err as Error).message})`);
    }
  }
  return out;
}
