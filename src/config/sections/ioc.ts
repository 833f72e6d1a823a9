/**
 * Config section `ioc`: the daily IoC blacklists (fetched over HTTPS or read from a file), when they are fetched,
 * how the day's flows are read for them, and the thresholds of the four stages (src/ioc/).
 */

/** Thresholds of stages 3 and 4 (config `ioc.thresholds` overrides by name; src/ioc/classify.ts applies them). */
export const DEFAULT_IOC_THRESHOLDS = {
  /** More flows than this in a day: `mass` (the seeds: 10 000, the ES answer size). */
  massFlows: 10_000,
  /** Fewest remotes for `wide-scan` / `check-in`. */
  minRemotes: 5,
  /** "Once or twice": at most this many flows per remote. */
  fewFlows: 2,
  /** Share of remotes with at most `fewFlows` flows. */
  fewFlowsShare: 0.8,
  /** Share of flows in the class's direction (IoC → remotes for a scan, remotes → IoC for a check-in). */
  directionShare: 0.8,
  /** A small flow: at most this many packets ... */
  smallPackets: 3,
  /** ... and at most this many octets. */
  smallOctets: 600,
  /** Share of small flows. */
  smallShare: 0.8,
  /** `dos`: at most this many remotes take ... */
  dosRemotes: 3,
  /** ... at least this share of the flows ... */
  dosShare: 0.9,
  /** ... with at least this many flows in one 5-minute TimeSlot, ... */
  dosSlotFlows: 200,
  /** ... or at least this many packets in one TimeSlot. */
  dosSlotPackets: 1_000_000,
  /** Stage 4: a port is "converging" when it carries at least this share of a remote's flows with an IoC. */
  convergeShare: 0.8,
  /** Stage 4: a side is server-like when at least this share of flows has its port < 32768 and the other's ≥ 32768. */
  serverShare: 0.8,
  /** Stage 4: fewest flows (over the lookback) between a remote and an IoC before a direction is judged. */
  minPairFlows: 3,
  /** Stage 4: at most this many distinct patterns (over at least `minPairFlows` flows): `mechanical`. */
  mechanicalPatterns: 3,
  /** Family lookup: days in a row a family checked in before it is followed. */
  familyDays: 3,
  /** Family lookup: fewest members. */
  familyMin: 3,
  /** Family lookup: share of the members that must reach a new common peer. */
  familyShare: 0.5,
} as const;

/** One list: a name and either an HTTPS URL or a local file. */
export interface IocSource {
  name: string;
  url?: string;
  file?: string;
}

/** The `ioc` section. */
export interface IocConfig {
  sources: IocSource[];
  /** Local time of the daily fetch, HH:MM (the seeds: one minute before midnight). */
  fetchAt: string;
  /** Minutes after the end of a day before its job runs (the day's last nfcapd file must be closed). */
  runAfterMinutes: number;
  /** PEM file of the certificate authorities trusted for the HTTPS fetch; empty = the system's. */
  caFile: string;
  /** Whole-request timeout of one fetch. */
  timeoutMs: number;
  /** A list larger than this is refused (the previous one is kept). */
  maxBytes: number;
  /** Flows kept per IoC per day (the seeds' `size: 10000`); the total is counted exactly anyway. */
  sampleSize: number;
  /** Where the day's flows are read: the nfcapd files (engine.nfcapdDir) or Elasticsearch (elasticsearch.flowIndex). */
  flowStore: 'files' | 'elasticsearch';
  /** Stage 3 / 4 thresholds by name (see src/ioc/classify.ts DEFAULT_IOC_THRESHOLDS). */
  thresholds: Record<string, number>;
  /** Days of the remote analysis (the seeds: a month). */
  lookbackDays: number;
  /** Keep the sampled flows of `mass` IoCs in SQLite too (they always go to the ES index when ES is on). */
  keepMassSamples: boolean;
  /** Days of IoC-centred records and daily remote records kept (0 = forever); lists and verdicts are kept. */
  retentionDays: number;
}

const NAME = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

/** JSON schema of the section. */
export const iocSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    sources: {
      type: 'array',
      description: 'Daily IoC lists: {name, url} (HTTPS) or {name, file}; one address per line.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', pattern: NAME }, url: { type: 'string' }, file: { type: 'string' } },
      },
    },
    fetchAt: { type: 'string', pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', description: 'Local time of the daily fetch (HH:MM).' },
    runAfterMinutes: { type: 'integer', minimum: 0, maximum: 720, description: 'Minutes after midnight before the day is correlated.' },
    caFile: { type: 'string', description: 'CA certificates (PEM) trusted for the list URLs; empty = the system store.' },
    timeoutMs: { type: 'integer', minimum: 100, description: 'Timeout of one list fetch.' },
    maxBytes: { type: 'integer', minimum: 1024, description: 'Largest list accepted, in bytes.' },
    sampleSize: { type: 'integer', minimum: 1, maximum: 100000, description: 'Flows kept per IoC per day (the seeds: 10000).' },
    flowStore: { type: 'string', enum: ['files', 'elasticsearch'], description: 'Read the day from the nfcapd files or from Elasticsearch.' },
    thresholds: { type: 'object', description: 'Stage 3/4 thresholds; see src/ioc/classify.ts.' },
    lookbackDays: { type: 'integer', minimum: 1, maximum: 400, description: 'Days of the remote analysis.' },
    keepMassSamples: { type: 'boolean', description: 'Also store the sampled flows of mass IoCs in SQLite.' },
    retentionDays: { type: 'integer', minimum: 0, description: 'Days of IoC flow records kept (0 = forever).' },
  },
} as const;

/** Defaults: no lists (the area is idle), fetched at 23:59, correlated at 00:10. */
export const iocDefaults: IocConfig = {
  sources: [],
  fetchAt: '23:59',
  runAfterMinutes: 10,
  caFile: '',
  timeoutMs: 30_000,
  maxBytes: 10 * 1024 * 1024,
  sampleSize: 10_000,
  flowStore: 'files',
  thresholds: {},
  lookbackDays: 30,
  keepMassSamples: false,
  retentionDays: 400,
};

/** Semantic checks the JSON schema cannot express; each problem is "path: reason". Pure. */
export function checkIocConfig(cfg: IocConfig): string[] {
  const out: string[] = [];
  const names = new Set<string>();
  cfg.sources.forEach((s, i) => {
    const at = `ioc.sources[${i}]`;
    if (names.has(s.name)) out.push(`${at}.name: "${s.name}" is used twice`);
    names.add(s.name);
    if ((s.url ? 1 : 0) + (s.file ? 1 : 0) !== 1) out.push(`${at}: give exactly one of url or file`);
    if (s.url) {
      let u: URL | undefined;
      try {
        u = new URL(s.url);
      } catch {
        out.push(`${at}.url: not a URL: ${s.url}`);
      }
      if (u && u.protocol !== 'https:') out.push(`${at}.url: only https:// is fetched (got ${u.protocol})`);
    }
  });
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(cfg.fetchAt)) out.push(`ioc.fetchAt: not HH:MM: ${cfg.fetchAt}`);
  for (const [k, v] of Object.entries(cfg.thresholds ?? {})) {
    if (!(k in DEFAULT_IOC_THRESHOLDS)) out.push(`ioc.thresholds.${k}: unknown threshold (known: ${Object.keys(DEFAULT_IOC_THRESHOLDS).join(', ')})`);
    else if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) out.push(`ioc.thresholds.${k}: not a non-negative number`);
  }
  return out;
}
