/** Config section `elasticsearch`: where results are written and where the NOC's flows are read. */
import type { FlowFieldMap } from '../../es/types.js';

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
