/** Config section `engine`: where flows come from and how windows are analysed. */
import { unitAlertsSchema, type UnitAlertRules } from './alerts.js';

export const engineSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    nfcapdDir: { type: 'string', description: 'Directory nfcapd writes to (watched by the engine).' },
    nfdumpBin: { type: 'string', description: 'Path or name of the nfdump binary.' },
    reader: { type: 'string', enum: ['native', 'nfdump'], description: 'How nfcapd files are read: native (nocflow decodes nffile itself) or nfdump (text fallback).' },
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
  },
} as const;

export interface EngineConfig {
  nfcapdDir: string;
  nfdumpBin: string;
  /** `native` decodes nffile in process (default); `nfdump` runs nfdump and parses its text (fallback, test oracle). */
  reader: 'native' | 'nfdump';
  topN: number;
  inside: string[];
  units: UnitConfig[];
  knownServers: string[];
  peerCap: number;
  thresholds: Record<string, number>;
  pollSeconds: number;
  retentionDays: number;
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
  topN: 500,
  inside: [],
  units: [],
  knownServers: [],
  peerCap: 4096,
  thresholds: {},
  pollSeconds: 5,
  retentionDays: 30,
};
