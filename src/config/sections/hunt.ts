/** Config section `hunt`: the daily botnet hunt (src/hunt): when it runs, where it reads, what it keeps. */

/** The `hunt` section. */
export interface HuntConfig {
  /** Run the previous UTC day's hunt in the engine, once a day. */
  enabled: boolean;
  /** UTC time of day (HH:MM) after which the previous day is hunted. */
  at: string;
  /** Where the day's flows are read: the nfcapd files, Elasticsearch's flow indices, or files when the day has any. */
  source: 'auto' | 'files' | 'elasticsearch';
  /** Near-shape search: same port and packets, bytes within ±near (0 = off). */
  near: number;
  /** Also hunt bare-header (weak) shapes. */
  includeWeak: boolean;
  /** Most signatures hunted per day, strongest first (0 = all). */
  maxSignatures: number;
  /** Most members kept per signature per day; further sources are counted as dropped. */
  memberCap: number;
  /** Missed days caught up after the engine was down (the newest ones). */
  catchUpDays: number;
}

/** JSON schema of the section. */
export const huntSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', description: 'Run the previous UTC day\'s hunt in the engine once a day.' },
    at: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'UTC time (HH:MM) after which the previous day is hunted.' },
    source: { type: 'string', enum: ['auto', 'files', 'elasticsearch'], description: 'Where the day\'s flows are read.' },
    near: { type: 'integer', minimum: 0, maximum: 1000, description: 'Near shapes: bytes within ±near (0 = off).' },
    includeWeak: { type: 'boolean', description: 'Also hunt bare-header shapes (a lone SYN).' },
    maxSignatures: { type: 'integer', minimum: 0, description: 'Most signatures hunted per day, strongest first (0 = all).' },
    memberCap: { type: 'integer', minimum: 1, description: 'Most members kept per signature per day.' },
    catchUpDays: { type: 'integer', minimum: 0, maximum: 31, description: 'Missed days hunted after the engine was down.' },
  },
} as const;

/** Defaults: on, 00:30 UTC, files when the day has them, no near search, 100 000 members per signature. */
export const huntDefaults: HuntConfig = {
  enabled: true,
  at: '00:30',
  source: 'auto',
  near: 0,
  includeWeak: false,
  maxSignatures: 0,
  memberCap: 100_000,
  catchUpDays: 2,
};

/** Minutes after UTC midnight of an `HH:MM` text, or undefined when malformed. */
export function minutesOf(at: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(at);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Semantic checks (each "path: reason"), for `nocflow config check` / `engine --check`. */
export function checkHuntConfig(cfg: { hunt?: Partial<HuntConfig>; elasticsearch?: { node?: string; flowIndex?: string } }): string[] {
  const h = { ...huntDefaults, ...(cfg.hunt ?? {}) };
  const out: string[] = [];
  if (minutesOf(h.at) === undefined) out.push(`hunt.at: "${h.at}" is not a UTC time HH:MM`);
  if (h.source === 'elasticsearch' && !cfg.elasticsearch?.node) out.push('hunt.source: "elasticsearch" needs elasticsearch.node');
  if (h.source !== 'files' && cfg.elasticsearch?.node && !(cfg.elasticsearch.flowIndex ?? '').includes('{YYYY.MM.DD}')) out.push('elasticsearch.flowIndex: needs {YYYY.MM.DD} for the daily hunt');
  if (!Number.isInteger(h.near) || h.near < 0) out.push(`hunt.near: ${h.near} is not a whole number of bytes ≥ 0`);
  return out;
}
