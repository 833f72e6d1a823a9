/**
 * Config section `limits`: what one client, one device, one outage or one flood may cost the shared engine. Every
 * limit that is reached is counted and reported (engine status, the window's `degraded`), never silent.
 */
export const limitsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    clientBufferBytes: { type: 'integer', minimum: 65536, description: 'Bytes waiting to be written to one client before it is dropped (a suspended TUI).' },
    investigations: { type: 'integer', minimum: 1, maximum: 64, description: 'Investigations running at once in the engine, all clients together.' },
    investigationsPerClient: { type: 'integer', minimum: 1, maximum: 64, description: 'Investigations one client may run at once.' },
    investigateMaxHours: { type: 'number', minimum: 0.1, description: 'Longest time range of one investigation, in hours.' },
    investigatePeers: { type: 'integer', minimum: 100, description: 'Distinct peers one investigation keeps; the rest are summed as "other peers".' },
    deviceOutputBytes: { type: 'integer', minimum: 65536, description: 'Bytes of output one device command may send before the collection of that device fails.' },
    esSpoolBytes: { type: 'integer', minimum: 65536, description: 'Bytes the Elasticsearch spool may hold on disk; the oldest documents are dropped (counted) beyond it.' },
    victimSources: { type: 'integer', minimum: 256, description: 'Distinct sources kept per victim candidate in one window; beyond it the sources are sampled (a spoofed flood).' },
    campusCandidates: { type: 'integer', minimum: 100, description: 'Outside and inside campus candidates analysed per window (each list keeps its top N).' },
  },
} as const;

/** The `limits` section. */
export interface LimitsConfig {
  clientBufferBytes: number;
  investigations: number;
  investigationsPerClient: number;
  investigateMaxHours: number;
  investigatePeers: number;
  deviceOutputBytes: number;
  esSpoolBytes: number;
  victimSources: number;
  campusCandidates: number;
}

/** Defaults sized for a backbone engine on one host. */
export const limitsDefaults: LimitsConfig = {
  clientBufferBytes: 8 * 1024 * 1024,
  investigations: 4,
  investigationsPerClient: 2,
  investigateMaxHours: 48,
  investigatePeers: 100_000,
  deviceOutputBytes: 32 * 1024 * 1024,
  esSpoolBytes: 1024 * 1024 * 1024,
  victimSources: 65_536,
  campusCandidates: 20_000,
};

/** Semantic problems the schema cannot say ("path: reason"), for the config checker. Pure. */
export function checkLimitsConfig(cfg: Partial<LimitsConfig>): string[] {
  const problems: string[] = [];
  if (cfg.investigationsPerClient !== undefined && cfg.investigations !== undefined && cfg.investigationsPerClient > cfg.investigations) {
    problems.push(`limits.investigationsPerClient: ${cfg.investigationsPerClient} is more than limits.investigations (${cfg.investigations})`);
  }
  return problems;
}
