/**
 * The seeds' index discipline as pure functions: daily index names (UTC), primary shard count from data size,
 * index templates with explicit mappings, deterministic document ids and ~10 MB bulk bodies.
 */
import { createHash } from 'node:crypto';
import type { BulkItem, DocKind, FlowFieldMap } from './types.js';

const GB = 1024 ** 3;

/** "YYYY.MM.DD" of the UTC day containing `epochMs`. */
export function utcDay(epochMs: number): string {
  const d = new Date(epochMs);
  if (Number.isNaN(d.getTime())) throw new RangeError(`not a time: ${epochMs}`);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}.${p(d.getUTCMonth() + 1)}.${p(d.getUTCDate())}`;
}

/** Start (epoch ms) of the UTC day containing `epochMs`. */
export function utcDayStart(epochMs: number): number {
  return Math.floor(epochMs / 86_400_000) * 86_400_000;
}

/** `<prefix>-<kind>-YYYY.MM.DD` for the UTC day of `epochMs`. */
export function dailyIndexName(prefix: string, kind: DocKind, epochMs: number): string {
  return `${prefix}-${kind}-${utcDay(epochMs)}`;
}

/** A daily name from a pattern holding `{YYYY.MM.DD}` (the flow indices' naming). */
export function dailyFromPattern(pattern: string, epochMs: number): string {
  if (!pattern.includes('{YYYY.MM.DD}')) throw new Error(`flow index pattern "${pattern}" lacks {YYYY.MM.DD}`);
  return pattern.replace('{YYYY.MM.DD}', utcDay(epochMs));
}

/** The daily indices covering [from, to), oldest first (the seeds' day-major order). */
export function dailyIndicesInRange(pattern: string, from: number, to: number): { index: string; from: number; to: number }[] {
  const out: { index: string; from: number; to: number }[] = [];
  if (!(to > from)) return out;
  for (let day = utcDayStart(from); day < to; day += 86_400_000) {
    out.push({ index: dailyFromPattern(pattern, day), from: Math.max(from, day), to: Math.min(to, day + 86_400_000) });
  }
  return out;
}

/**
 * Primary shard count: primary data size ÷ 10 GB rounded up, at least 1, never above the number of data nodes
 * (the seeds: ~10 GB shards with a 32 GB heap; more primaries than data nodes only adds cluster overhead).
 */
export function primaryShardCount(primaryBytes: number, dataNodes: number, shardBytes = 10 * GB): number {
  const wanted = Math.max(1, Math.ceil(Math.max(0, primaryBytes) / shardBytes));
  return Math.max(1, Math.min(wanted, Math.max(1, Math.floor(dataNodes))));
}

/** Deterministic document id: sha1 of the kind and the identifying parts, hex. */
export function docId(kind: DocKind, ...parts: (string | number)[]): string {
  const h = createHash('sha1');
  h.update(kind);
  for (const p of parts) h.update(`\u0000${p}`);
  return h.digest('hex');
}

type Mapping = Record<string, { type: string; [k: string]: unknown }>;

const share = { type: 'nested', properties: { value: { type: 'keyword' }, share: { type: 'float' } } };

/** Explicit mappings per kind: addresses `ip`, codes `keyword`, numbers typed. */
export function mappingsFor(kind: DocKind, fieldMap?: FlowFieldMap): { dynamic: string; properties: Record<string, unknown> } {
  const common: Mapping = { '@timestamp': { type: 'date', format: 'epoch_millis' } };
  const table: Record<DocKind, () => Record<string, unknown>> = {
    window: () => ({ ...common, timeSlot: { type: 'long' }, start: { type: 'date', format: 'epoch_second' }, end: { type: 'date', format: 'epoch_second' }, flows: { type: 'long' }, packets: { type: 'long' }, bytes: { type: 'long' }, distinctIps: { type: 'long' }, anomalies: { type: 'integer' }, files: { type: 'keyword' } }),
    anomaly: () => ({
      ...common,
      timeSlot: { type: 'long' },
      ip: { type: 'ip' },
      role: { type: 'keyword' },
      type: { type: 'keyword' },
      severity: { type: 'keyword' },
      score: { type: 'float' },
      signature: { type: 'keyword' },
      unit: { type: 'keyword' },
      asn: { type: 'long' },
      metrics: { properties: { flows: { type: 'long' }, packets: { type: 'long' }, bytes: { type: 'long' }, distinctPeers: { type: 'long' }, distinctPorts: { type: 'long' } } },
      features: {
        properties: {
          protocols: share, dstPorts: share, packets: share, bytes: share, tcpFlags: share,
          synOnlyShare: { type: 'float' }, onePacket40Share: { type: 'float' }, serverLike: { type: 'boolean' },
          clientPortShare: { type: 'float' }, serverPortShare: { type: 'float' },
          distinct: { properties: { protocols: { type: 'integer' }, dstPorts: { type: 'integer' }, packets: { type: 'integer' }, bytes: { type: 'integer' } } },
        },
      },
      evidence: { type: 'nested', properties: { indicator: { type: 'keyword' }, value: { type: 'double' }, threshold: { type: 'double' }, ratio: { type: 'float' } } },
      entryPoints: { type: 'nested', properties: { exporter: { type: 'ip' }, interface: { type: 'long' }, flows: { type: 'long' }, share: { type: 'float' } } },
      topPeers: { type: 'nested', properties: { ip: { type: 'ip' }, flows: { type: 'long' } } },
      tracking: { properties: { firstSeenSlot: { type: 'long' }, windowsSeen: { type: 'integer' }, shareAbove: { type: 'float' }, streak: { type: 'integer' } } },
      alsoMatched: { type: 'keyword' },
      notes: { type: 'text' },
      // ARP-confirmed probing: which unused addresses, from which device slots (query "who probed 10.20.100.5").
      unusedProbe: { properties: { targets: { type: 'ip' }, total: { type: 'integer' }, flows: { type: 'long' }, arpSlots: { type: 'long' }, reason: { type: 'text' } } },
    }),
    // ARP merged by IP and MAC tables merged by (device, MAC): the seeds' two documents (src/devices/merge.ts).
    arp: () => ({ ...common, ip: { type: 'ip' }, timestamp: { type: 'date', format: 'epoch_millis' }, timeSlot: { type: 'long' }, macList: { type: 'keyword' }, typeList: { type: 'keyword' }, devices: { type: 'keyword' }, interfaceList: { type: 'keyword' } }),
    mac: () => ({ ...common, mac: { type: 'keyword' }, device: { type: 'keyword' }, timestamp: { type: 'date', format: 'epoch_millis' }, timeSlot: { type: 'long' }, ipList: { type: 'ip' }, interfaceList: { type: 'keyword' }, vlan: { type: 'integer' }, vlanList: { type: 'integer' }, typeList: { type: 'keyword' }, system: { type: 'boolean' } }),
    block: () => ({
      ...common,
      blockId: { type: 'long' }, text: { type: 'keyword' }, status: { type: 'keyword' }, createdAt: { type: 'date', format: 'epoch_millis' }, expiresAt: { type: 'date', format: 'epoch_millis' },
      ttlSeconds: { type: 'long' }, offence: { type: 'integer' }, who: { type: 'keyword' }, origin: { type: 'keyword' }, reason: { type: 'text' }, lastError: { type: 'text' },
      anomaly: { properties: { ip: { type: 'ip' }, type: { type: 'keyword' }, timeSlot: { type: 'long' } } },
      rule: { type: 'object', enabled: false },
    }),
    audit: () => ({ ...common, auditId: { type: 'long' }, at: { type: 'date', format: 'epoch_millis' }, who: { type: 'keyword' }, origin: { type: 'keyword' }, action: { type: 'keyword' }, blockId: { type: 'long' }, rule: { type: 'keyword' }, reason: { type: 'text' }, detail: { type: 'text' } }),
    // One document per signature per day (src/hunt): the seeds' daily record, queryable by signature or by member IP.
    signature: () => {
      const member = { type: 'nested', properties: { ip: { type: 'ip' }, destinations: { type: 'long' }, flows: { type: 'long' }, sourcePorts: { type: 'long' }, files: { type: 'integer' }, firstSeen: { type: 'date', format: 'epoch_millis' }, lastSeen: { type: 'date', format: 'epoch_millis' }, bytes: { type: 'long' } } };
      return {
        ...common, day: { type: 'date', format: 'yyyy-MM-dd' }, signature: { type: 'keyword' }, port: { type: 'integer' }, packets: { type: 'long' }, bytes: { type: 'long' }, proto: { type: 'short' },
        strength: { type: 'float' }, weak: { type: 'boolean' }, hunted: { type: 'boolean' }, attackers: { type: 'ip' }, memberCount: { type: 'long' }, membersTruncated: { type: 'boolean' },
        flows: { type: 'long' }, serverReplyFlows: { type: 'long' }, knownServerFlows: { type: 'long' }, droppedSources: { type: 'long' }, droppedFlows: { type: 'long' },
        members: member, near: member,
      };
    },
    // IoC-centred flows (src/ioc/records.ts recordDoc): the seeds' field names.
    iocflow: () => ({
      ...common,
      IocIP: { type: 'ip' }, RemoteIP: { type: 'ip' }, Exporter: { type: 'ip' }, IocPort: { type: 'integer' }, RemotePort: { type: 'integer' },
      Direction: { type: 'keyword' }, Packets: { type: 'long' }, Octets: { type: 'long' }, TcpControlBits: { type: 'short' }, Protocol: { type: 'short' },
      IpVersion: { type: 'byte' }, IocAsNumber: { type: 'long' }, RemoteAsNumber: { type: 'long' }, TimeStamp: { type: 'date', format: 'epoch_millis' },
      Date: { type: 'keyword' }, File: { type: 'keyword' }, IocClass: { type: 'keyword' },
    }),
    flow: () => {
      const f = fieldMap;
      if (!f) throw new Error('flow mappings need the field map');
      return {
        [f.src]: { type: 'ip' }, [f.dst]: { type: 'ip' }, [f.exporter]: { type: 'ip' },
        [f.sport]: { type: 'integer' }, [f.dport]: { type: 'integer' }, [f.proto]: { type: 'short' }, [f.flags]: { type: 'short' },
        [f.packets]: { type: 'long' }, [f.bytes]: { type: 'long' }, [f.inIf]: { type: 'long' },
        [f.start]: { type: 'date', format: 'epoch_millis' },
        flowEndMilliseconds: { type: 'date', format: 'epoch_millis' }, egressInterface: { type: 'long' },
        bgpSourceAsNumber: { type: 'long' }, bgpDestinationAsNumber: { type: 'long' },
      };
    },
  };
  // Unknown fields are kept in _source but not indexed: no mapping explosion from free-form text.
  return { dynamic: 'false', properties: table[kind]() };
}

/** The index template body for one kind's daily indices (`PUT _index_template/<name>`). */
export function indexTemplate(indexPattern: string, kind: DocKind, shards: number, fieldMap?: FlowFieldMap): Record<string, unknown> {
  return {
    index_patterns: [indexPattern],
    priority: 200,
    template: {
      settings: { number_of_shards: shards, number_of_replicas: 1 },
      mappings: mappingsFor(kind, fieldMap),
    },
    _meta: { managed_by: 'nocflow', kind },
  };
}

/** The NDJSON lines of one `index` bulk action with a deterministic id. */
export function bulkLines(item: BulkItem): string {
  return `{"index":{"_index":${JSON.stringify(item.index)},"_id":${JSON.stringify(item.id)}}}\n${item.raw ?? JSON.stringify(item.body ?? {})}\n`;
}

/**
 * Split items into NDJSON bulk bodies of at most `maxBytes` each (a single item larger than that goes alone).
 * Pure: returns bodies and the items each carries, in order.
 */
export function chunkBulk(items: BulkItem[], maxBytes: number): { body: string; items: BulkItem[]; bytes: number }[] {
  const out: { body: string; items: BulkItem[]; bytes: number }[] = [];
  let parts: string[] = [];
  let cur: BulkItem[] = [];
  let bytes = 0;
  for (const it of items) {
    const lines = bulkLines(it);
    const n = Buffer.byteLength(lines);
    if (cur.length > 0 && bytes + n > maxBytes) {
      out.push({ body: parts.join(''), items: cur, bytes });
      parts = [];
      cur = [];
      bytes = 0;
    }
    parts.push(lines);
    cur.push(it);
    bytes += n;
  }
  if (cur.length > 0) out.push({ body: parts.join(''), items: cur, bytes });
  return out;
}
