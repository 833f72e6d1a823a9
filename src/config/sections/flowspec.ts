/** Config section `flowspec`: the BGP speaker, guards and expiry. */
import { addressReason, asReason, hostReason, ipv4Reason, portReason, prefixReason, Problems, tcpMd5KeyReason } from '../validate.js';
import { canonicalIp } from '../../util/ip.js';

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
          password: { type: 'string', description: 'TCP-MD5 key of the session (gobgpd auth-password); never printed by config get.' },
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
  /** TCP-MD5 key (RFC 2385), as configured on the router. */
  password?: string;
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

/** The values a managed gobgpd is configured with (what goes into its TOML and onto its command line). */
export interface SpeakerSettings {
  routerId: string;
  as: number;
  listenAddress: string;
  listenPort: number;
  apiHost: string;
  apiPort: number;
  neighbors: FlowspecNeighbor[];
}

const familyOf = (ip: string) => (canonicalIp(ip)?.includes(':') ? 6 : 4);

/**
 * Problems of a speaker's settings, each "path: reason" (`path` prefixes the field names, e.g. "flowspec."). Pure;
 * gobgp.ts refuses to write a gobgpd configuration from settings with problems, and the config check reports them.
 */
export function speakerProblems(s: Partial<SpeakerSettings>, path = ''): string[] {
  const p = new Problems();
  p.add(`${path}routerId`, ipv4Reason(s.routerId));
  p.add(`${path}as`, asReason(s.as));
  p.add(`${path}listenAddress`, addressReason(s.listenAddress));
  p.add(`${path}listenPort`, portReason(s.listenPort));
  p.add(`${path}apiHost`, hostReason(s.apiHost));
  p.add(`${path}apiPort`, portReason(s.apiPort));
  if (s.neighbors !== undefined && !Array.isArray(s.neighbors)) p.add(`${path}neighbors`, 'is not a list');
  const seen = new Map<string, number>();
  (Array.isArray(s.neighbors) ? s.neighbors : []).forEach((n, i) => {
    const at = `${path}neighbors[${i}]`;
    const bad = addressReason(n?.address);
    p.add(`${at}.address`, bad);
    p.add(`${at}.as`, asReason(n?.as));
    if (n?.port !== undefined) p.add(`${at}.port`, portReason(n.port));
    if (n?.localAddress !== undefined) {
      const badLocal = addressReason(n.localAddress);
      p.add(`${at}.localAddress`, badLocal);
      if (!bad && !badLocal && familyOf(n.localAddress) !== familyOf(n.address)) p.add(`${at}.localAddress`, `${n.localAddress} and the neighbor ${n.address} are of different address families`);
    } else if (!bad && s.listenAddress && !addressReason(s.listenAddress) && familyOf(s.listenAddress) !== familyOf(n.address)) {
      p.add(`${at}.address`, `${n.address} cannot be reached from ${path}listenAddress ${s.listenAddress} (another address family): set ${at}.localAddress`);
    }
    if (n?.password !== undefined) {
      const why = tcpMd5KeyReason(n.password);
      if (why) p.add(`${at}.password`, why);
    }
    if (!bad) {
      const key = canonicalIp(n.address)!;
      const first = seen.get(key);
      if (first !== undefined) p.add(`${at}.address`, `${n.address} is also ${path}neighbors[${first}]`);
      else seen.set(key, i);
    }
  });
  return p.list;
}

/** Semantic problems of the `flowspec` section, each "path: reason" (pure). */
export function checkFlowspecConfig(cfg: { flowspec?: Partial<FlowspecConfig> }): string[] {
  const f = cfg.flowspec ?? {};
  const p = new Problems();
  p.each('flowspec.protectedPrefixes', f.protectedPrefixes, prefixReason);
  for (const bin of ['gobgpBin', 'gobgpdBin'] as const) {
    if (f[bin] !== undefined && (typeof f[bin] !== 'string' || f[bin]!.trim() === '')) p.add(`flowspec.${bin}`, 'must name the binary');
  }
  if (f.defaultTtlSeconds !== undefined && f.maxTtlSeconds !== undefined && f.maxTtlSeconds < f.defaultTtlSeconds) {
    p.add('flowspec.maxTtlSeconds', `${f.maxTtlSeconds} is shorter than flowspec.defaultTtlSeconds (${f.defaultTtlSeconds})`);
  }
  if (f.autoBlockTtlSeconds !== undefined && f.maxTtlSeconds !== undefined && f.autoBlockTtlSeconds > f.maxTtlSeconds) {
    p.add('flowspec.autoBlockTtlSeconds', `${f.autoBlockTtlSeconds} is longer than flowspec.maxTtlSeconds (${f.maxTtlSeconds})`);
  }
  // external mode talks to an existing gobgpd at apiHost:apiPort only; the rest is the managed speaker's TOML.
  const speaker = speakerProblems(f, 'flowspec.');
  return [...p.list, ...(f.mode === 'external' ? speaker.filter((l) => /^flowspec\.api(Host|Port):/.test(l)) : speaker)];
}
