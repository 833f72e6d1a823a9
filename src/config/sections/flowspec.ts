/** Config section `flowspec`: the BGP speaker, guards and expiry. */
export const flowspecSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean', description: 'Offer blocking (block.* on the engine socket).' },
    mode: { enum: ['managed', 'external'], description: 'managed: the engine starts gobgpd; external: use an existing one at apiHost:apiPort.' },
    gobgpBin: { type: 'string' },
    gobgpdBin: { type: 'string' },
    apiHost: { type: 'string' },
    apiPort: { type: 'integer', minimum: 1, maximum: 65535 },
    routerId: { type: 'string' },
    as: { type: 'integer', minimum: 1 },
    listenAddress: { type: 'string' },
    listenPort: { type: 'integer', minimum: 1, maximum: 65535 },
    neighbors: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['address', 'as'],
        properties: {
          address: { type: 'string' },
          as: { type: 'integer', minimum: 1 },
          port: { type: 'integer', minimum: 1, maximum: 65535 },
          localAddress: { type: 'string' },
          name: { type: 'string', description: 'What operators call this router (shown in confirmations).' },
          entries: {
            type: 'array',
            description: 'The exporters (and their input interfaces) whose traffic enters through this neighbour: entry-point mitigation.',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['exporter'],
              properties: { exporter: { type: 'string' }, interfaces: { type: 'array', items: { type: 'integer', minimum: 0 } } },
            },
          },
          community: { type: 'string', description: 'The community that sends a rule to this neighbour only (default <as>:<64001+index>).' },
        },
      },
    },
    entryShare: { type: 'number', minimum: 0, maximum: 1, description: 'A victim rule goes only to the neighbours carrying at least this share of the attack (when neighbours name their entries).' },
    idleWindows: { type: 'integer', minimum: 1, description: 'A rule that matched nothing for this many windows is offered for early withdrawal.' },
    protectedPrefixes: { type: 'array', items: { type: 'string' }, description: 'Never blocked: own infrastructure, DNS, peering LANs, whitelisted servers.' },
    minPrefixV4: { type: 'integer', minimum: 0, maximum: 32 },
    minPrefixV6: { type: 'integer', minimum: 0, maximum: 128 },
    maxActiveRules: { type: 'integer', minimum: 1 },
    maxChangesPerMinute: { type: 'integer', minimum: 1 },
    defaultTtlSeconds: { type: 'integer', minimum: 10 },
    maxTtlSeconds: { type: 'integer', minimum: 10 },
    repeatMultiplier: { type: 'number', minimum: 1 },
    reconcileSeconds: { type: 'integer', minimum: 5 },
    victimRateBytesPerSecond: { type: 'integer', minimum: 0 },
    autoBlock: { type: 'boolean', description: 'Block sources of super-severity scans automatically (off by default).' },
    autoBlockTtlSeconds: { type: 'integer', minimum: 10 },
  },
} as const;

/** One BGP neighbour (a border router) and, for entry-point mitigation, the exporters/interfaces it stands for. */
export interface FlowspecNeighbor {
  address: string;
  as: number;
  port?: number;
  localAddress?: string;
  name?: string;
  entries?: { exporter: string; interfaces?: number[] }[];
  community?: string;
}

export interface FlowspecConfig {
  enabled: boolean;
  mode: 'managed' | 'external';
  gobgpBin: string;
  gobgpdBin: string;
  apiHost: string;
  apiPort: number;
  routerId: string;
  as: number;
  listenAddress: string;
  listenPort: number;
  neighbors: FlowspecNeighbor[];
  /** Entry-point mitigation: the least share of an attack a neighbour must carry to get the victim's rule. */
  entryShare: number;
  /** Windows without a match before a rule is offered for early withdrawal. */
  idleWindows: number;
  protectedPrefixes: string[];
  minPrefixV4: number;
  minPrefixV6: number;
  maxActiveRules: number;
  maxChangesPerMinute: number;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  repeatMultiplier: number;
  reconcileSeconds: number;
  victimRateBytesPerSecond: number;
  autoBlock: boolean;
  autoBlockTtlSeconds: number;
}

export const flowspecDefaults: FlowspecConfig = {
  enabled: false,
  mode: 'managed',
  gobgpBin: 'gobgp',
  gobgpdBin: 'gobgpd',
  apiHost: '127.0.0.1',
  apiPort: 50051,
  routerId: '127.0.0.1',
  as: 65000,
  listenAddress: '127.0.0.1',
  listenPort: 1179,
  neighbors: [],
  entryShare: 0.2,
  idleWindows: 3,
  protectedPrefixes: [],
  minPrefixV4: 24,
  minPrefixV6: 48,
  maxActiveRules: 1000,
  maxChangesPerMinute: 60,
  defaultTtlSeconds: 1800,
  maxTtlSeconds: 86400,
  repeatMultiplier: 2,
  reconcileSeconds: 60,
  victimRateBytesPerSecond: 1_000_000,
  autoBlock: false,
  autoBlockTtlSeconds: 600,
};
