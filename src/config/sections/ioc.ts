/**
 * Config section `ioc`: the daily IoC blacklists (fetched over HTTPS or read from a file), when they are fetched,
 * how the day's flows are read for them, and the thresholds of the four stages (src/ioc/).
 */
import { DEFAULT_IOC_THRESHOLDS } from '../../ioc/classify.js';

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
