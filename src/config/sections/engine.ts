/** Config section `engine`: where flows come from and how windows are analysed. */
import { DEFAULT_THRESHOLDS } from '../../engine/rules.js';
import { closest, numberReason, prefixReason, Problems } from '../validate.js';
import { unitAlertsSchema, type UnitAlertRules } from './alerts.js';

export const engineSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nfcapdDir: { type: 'string', description: 'Directory nfcapd writes to (watched by the engine).' },
    nfdumpBin: { type: 'string', description: 'Path or name of the nfdump binary.' },
    reader: { type: 'string', enum: ['native', 'nfdump'], description: 'How nfcapd files are read: native (nocflow decodes nffile itself) or nfdump (text fallback).' },
    destinationWorker: { type: 'boolean', description: 'Run the destination side of each window\'s aggregation in a worker thread (the second core; windows over 200 000 flows). Faster on a quiet host, slower when the second core is busy: see README, Benchmarks.' },
    decodeWorker: { type: 'boolean', description: 'Read and decode big nfcapd files (over 32 MiB) in a worker thread, leaving the engine\'s thread the aggregation (the second core). See README, Benchmarks.' },
    blockIndex: { type: 'boolean', description: 'Keep a block index of each nfcapd file read (in the data directory, block-index/), so investigate and other host or time-range reads pass over the blocks that cannot hold a match.' },
    topN: { type: 'integer', minimum: 1, maximum: 100000, description: 'Candidates analysed in detail per window.' },
    inside: { type: 'array', items: { type: 'string' }, description: 'Campus inside prefixes (CIDR); empty = backbone mode.' },
    units: {
      type: 'array',
      description: 'Unit names by prefix, used to say who an IP is; a unit with contacts hears about its own addresses.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['prefix', 'name'],
        properties: {
          prefix: { type: 'string' },
          name: { type: 'string' },
          contacts: { type: 'array', items: { type: 'string' }, description: 'Mail addresses that get the alerts about this unit\'s addresses.' },
          lang: { enum: ['en', 'zh-TW'], description: 'Language of the mails to the contacts (default alerts.email.lang).' },
          alerts: unitAlertsSchema,
        },
      },
    },
    knownServers: { type: 'array', items: { type: 'string' }, description: 'Whitelisted servers (IP or CIDR): never "many peers".' },
    peerCap: { type: 'integer', minimum: 16, description: 'Per-host peer set cap (the seeds cap array A per host).' },
    thresholds: { type: 'object', description: 'Per-type thresholds; see src/engine/rules.ts for keys and defaults.' },
    pollSeconds: { type: 'number', minimum: 0.1, description: 'How often the watcher looks for new files.' },
    retentionDays: { type: 'number', minimum: 0, description: 'Keep windows and anomalies this many days (0 = forever).' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 100, description: 'A file the engine died reading this many times is quarantined ("too large for this host").' },
    retrySeconds: { type: 'number', minimum: 1, description: 'First wait before a deferred file (reader or configuration trouble) is tried again; doubles each time.' },
    retryMaxSeconds: { type: 'number', minimum: 1, description: 'Longest wait between tries of a deferred file.' },
  },
} as const;

export interface EngineConfig {
  nfcapdDir: string;
  nfdumpBin: string;
  /** `native` decodes nffile in process (default); `nfdump` runs nfdump and parses its text (fallback, test oracle). */
  reader: 'native' | 'nfdump';
  /** Write and use block indexes of the nfcapd files (native reader; default true). */
  blockIndex: boolean;
  /** The destination side of each window's aggregation in a worker thread (default false). */
  destinationWorker: boolean;
  /** Big files read and decoded in a worker thread (ingest/decode-workers.ts; default false). */
  decodeWorker: boolean;
  topN: number;
  inside: string[];
  units: UnitConfig[];
  knownServers: string[];
  peerCap: number;
  thresholds: Record<string, number>;
  pollSeconds: number;
  retentionDays: number;
  /** Attempts (counted before each read) a file may take before it is quarantined as too large for this host. */
  maxAttempts: number;
  /** Back-off of deferred files: first wait, doubling up to the maximum (seconds). */
  retrySeconds: number;
  retryMaxSeconds: number;
}

/** One `engine.units[]` entry: a prefix of a unit (a unit with several prefixes has several entries of one name). */
export interface UnitConfig {
  prefix: string;
  name: string;
  /** Mail addresses told about alerts whose IP lies in this prefix. */
  contacts?: string[];
  lang?: 'en' | 'zh-TW';
  /** Policy and alert thresholds for this unit's addresses, over `alerts.policy`. */
  alerts?: UnitAlertRules;
}

export const engineDefaults: EngineConfig = {
  nfcapdDir: '',
  nfdumpBin: 'nfdump',
  reader: 'native',
  blockIndex: true,
  destinationWorker: false,
  decodeWorker: false,
  topN: 500,
  inside: [],
  units: [],
  knownServers: [],
  peerCap: 4096,
  thresholds: {},
  pollSeconds: 5,
  retentionDays: 30,
  maxAttempts: 3,
  retrySeconds: 60,
  retryMaxSeconds: 3600,
};

/** Problems of threshold overrides (`path`: where they come from): unknown keys (with the nearest known) and values. */
export function thresholdProblems(thresholds: unknown, path = 'engine.thresholds'): string[] {
  const p = new Problems();
  if (thresholds === undefined) return p.list;
  if (typeof thresholds !== 'object' || thresholds === null || Array.isArray(thresholds)) {
    p.add(path, `${JSON.stringify(thresholds)} is not an object of threshold keys`);
    return p.list;
  }
  for (const [key, value] of Object.entries(thresholds)) {
    if (!(key in DEFAULT_THRESHOLDS)) {
      const near = closest(key, Object.keys(DEFAULT_THRESHOLDS));
      p.add(`${path}.${key}`, `unknown threshold key${near ? ` (did you mean ${near}?)` : ' (the keys and defaults: DEFAULT_THRESHOLDS, src/engine/rules.ts)'}`);
    } else p.add(`${path}.${key}`, numberReason(value));
  }
  return p.list;
}

/** Semantic problems of the `engine` section, each "path: reason" (pure). */
export function checkEngineConfig(cfg: { engine?: Partial<EngineConfig> }): string[] {
  const e = cfg.engine ?? {};
  const p = new Problems();
  p.each('engine.inside', e.inside, prefixReason);
  (Array.isArray(e.units) ? e.units : []).forEach((u, i) => {
    p.add(`engine.units[${i}].prefix`, prefixReason(u?.prefix));
    if (typeof u?.name !== 'string' || u.name.trim() === '') p.add(`engine.units[${i}].name`, 'must name the unit');
  });
  p.each('engine.knownServers', e.knownServers, prefixReason);
  if (e.nfdumpBin !== undefined && (typeof e.nfdumpBin !== 'string' || e.nfdumpBin.trim() === '')) p.add('engine.nfdumpBin', 'must name the nfdump binary');
  if (e.retrySeconds !== undefined && e.retryMaxSeconds !== undefined && e.retryMaxSeconds < e.retrySeconds) {
    p.add('engine.retryMaxSeconds', `${e.retryMaxSeconds} is shorter than engine.retrySeconds (${e.retrySeconds})`);
  }
  return [...p.list, ...thresholdProblems(e.thresholds)];
}
