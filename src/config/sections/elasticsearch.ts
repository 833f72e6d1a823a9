/** Config section `elasticsearch`: where results are written and where the NOC's flows are read. */
import { Problems, urlReason } from '../validate.js';

/** Field names of the NOC's flow indices, per flow attribute (es/ reads and writes flow documents with them). */
export interface FlowFieldMap {
  src: string;
  dst: string;
  sport: string;
  dport: string;
  proto: string;
  flags: string;
  packets: string;
  bytes: string;
  inIf: string;
  exporter: string;
  start: string;
}

/** IPFIX field names, as the NOC's flow indices use them (the seeds' schema). */
export const ipfixFieldMap: FlowFieldMap = {
  src: 'sourceIPAddress',
  dst: 'destinationIPAddress',
  sport: 'sourceTransportPort',
  dport: 'destinationTransportPort',
  proto: 'protocolIdentifier',
  flags: 'tcpControlBits',
  packets: 'packetDeltaCount',
  bytes: 'octetDeltaCount',
  inIf: 'ingressInterface',
  exporter: 'exporterIPAddress',
  start: 'flowStartMilliseconds',
};

const str = (description: string) => ({ type: 'string', description }) as const;

export const elasticsearchSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    node: str('ES URL (e.g. http://127.0.0.1:9200); empty = Elasticsearch disabled.'),
    username: str('Basic-auth user (optional).'),
    password: str('Basic-auth password (optional; never logged).'),
    apiKey: str('API key (optional; never logged).'),
    indexPrefix: str('Prefix of the result indices: <prefix>-<kind>-YYYY.MM.DD.'),
    flowIndex: str('Daily flow index name with {YYYY.MM.DD} for the UTC day, e.g. netflow-{YYYY.MM.DD}.'),
    fieldMap: {
      type: 'object',
      additionalProperties: false,
      description: 'Field names of the flow indices (IPFIX by default).',
      properties: Object.fromEntries(Object.keys(ipfixFieldMap).map((k) => [k, { type: 'string' }])),
    },
    bulkBytes: { type: 'integer', minimum: 65536, maximum: 50000000, description: 'Target bulk request size in bytes (~10 MB; ES caps at 100 MB).' },
    investigateSize: { type: 'integer', minimum: 1, maximum: 10000, description: 'Flows fetched per IP per day (the seeds: 10000).' },
    huntBuckets: { type: 'integer', minimum: 1, maximum: 100000, description: 'Most source buckets per day in a signature hunt.' },
    spoolDir: str('Spool directory for documents ES could not take; empty = <data dir>/es-spool.'),
    requestTimeoutMs: { type: 'integer', minimum: 1000, description: 'Per-request timeout.' },
  },
} as const;

export interface ElasticsearchConfig {
  node: string;
  username: string;
  password: string;
  apiKey: string;
  indexPrefix: string;
  flowIndex: string;
  fieldMap: FlowFieldMap;
  bulkBytes: number;
  investigateSize: number;
  huntBuckets: number;
  spoolDir: string;
  requestTimeoutMs: number;
}

export const elasticsearchDefaults: ElasticsearchConfig = {
  node: '',
  username: '',
  password: '',
  apiKey: '',
  indexPrefix: 'nocflow',
  flowIndex: 'netflow-{YYYY.MM.DD}',
  fieldMap: ipfixFieldMap,
  bulkBytes: 10_000_000,
  investigateSize: 10000,
  huntBuckets: 10000,
  spoolDir: '',
  requestTimeoutMs: 30000,
};

// Elasticsearch index names: lower case, no \ / * ? " < > | space , # :, not starting with - _ +.
const INDEX_NAME = /^[a-z0-9][a-z0-9._-]*$/;

/** Semantic problems of the `elasticsearch` section, each "path: reason" (pure). */
export function checkElasticsearchConfig(cfg: { elasticsearch?: Partial<ElasticsearchConfig> }): string[] {
  const e = cfg.elasticsearch ?? {};
  const p = new Problems();
  if (e.node) p.add('elasticsearch.node', urlReason(e.node));
  if (e.indexPrefix !== undefined && !INDEX_NAME.test(e.indexPrefix)) p.add('elasticsearch.indexPrefix', `${JSON.stringify(e.indexPrefix)} is not an index name (lower case letters, digits, . _ -)`);
  if (e.flowIndex !== undefined) {
    if (!e.flowIndex.includes('{YYYY.MM.DD}')) p.add('elasticsearch.flowIndex', `${JSON.stringify(e.flowIndex)} lacks {YYYY.MM.DD} (the UTC day of each daily index)`);
    else if (!INDEX_NAME.test(e.flowIndex.replace('{YYYY.MM.DD}', '2026.01.01'))) p.add('elasticsearch.flowIndex', `${JSON.stringify(e.flowIndex)} is not an index name pattern (lower case letters, digits, . _ -)`);
  }
  for (const [k, v] of Object.entries(e.fieldMap ?? {})) {
    if (typeof v !== 'string' || v.trim() === '') p.add(`elasticsearch.fieldMap.${k}`, 'must name a field');
  }
  return p.list;
}
