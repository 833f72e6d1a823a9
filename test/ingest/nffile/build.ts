/**
 * Hand-built nffile pieces for tests that need a record nfcapd never writes (unknown ids, broken sizes, samplers of
 * the old form, ...). Written from NFFILE.md independently of the reader under test. Little-endian throughout.
 */

/** An element: u16 id, u16 length (with the 4-byte header), payload. */
export function element(id: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(payload.length + 4, 2);
  return Buffer.concat([h, payload]);
}

const u64 = (b: Buffer, n: number, o: number) => b.writeBigUInt64LE(BigInt(n), o);

/** EXgenericFlow (id 1, 52 bytes). */
export function genericFlow(f: { first: number; last: number; packets: number; bytes: number; sport: number; dport: number; proto: number; flags: number }): Buffer {
  const p = Buffer.alloc(48);
  u64(p, f.first, 0);
  u64(p, f.last, 8);
  u64(p, f.first + 5, 16);
  u64(p, f.packets, 24);
  u64(p, f.bytes, 32);
  p.writeUInt16LE(f.sport, 40);
  p.writeUInt16LE(f.dport, 42);
  p[44] = f.proto;
  p[45] = f.flags;
  return element(1, p);
}

/** EXipv4Flow (id 2) from two u32 addresses. */
export function ipv4Flow(src: number, dst: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32LE(src >>> 0, 0);
  p.writeUInt32LE(dst >>> 0, 4);
  return element(2, p);
}

/** A 16-byte IPv6 address as nfdump stores it: two LE u64, high half first. Words most significant first. */
export function v6Bytes(w: [number, number, number, number]): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(w[1] >>> 0, 0);
  b.writeUInt32LE(w[0] >>> 0, 4);
  b.writeUInt32LE(w[3] >>> 0, 8);
  b.writeUInt32LE(w[2] >>> 0, 12);
  return b;
}

/** EXipv6Flow (id 3). */
export function ipv6Flow(src: [number, number, number, number], dst: [number, number, number, number]): Buffer {
  return element(3, Buffer.concat([v6Bytes(src), v6Bytes(dst)]));
}

/** EXflowMisc (id 4, 20 bytes) with the input and output ifIndex. */
export function flowMisc(input: number, output: number): Buffer {
  const p = Buffer.alloc(16);
  p.writeUInt32LE(input >>> 0, 0);
  p.writeUInt32LE(output >>> 0, 4);
  return element(4, p);
}

/** EXcntFlow (id 5, 28 bytes). */
export function cntFlow(flows: number, outPackets: number, outBytes: number): Buffer {
  const p = Buffer.alloc(24);
  u64(p, flows, 0);
  u64(p, outPackets, 8);
  u64(p, outBytes, 16);
  return element(5, p);
}

/** EXasRouting (id 7). */
export function asRouting(src: number, dst: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32LE(src >>> 0, 0);
  p.writeUInt32LE(dst >>> 0, 4);
  return element(7, p);
}

/** EXipReceivedV4 (id 12). */
export function ipReceivedV4(ip: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32LE(ip >>> 0, 0);
  return element(12, p);
}

/** A V3 flow record (type 11) holding `elements`; `numElements`/`size` may be overridden to break it. */
export function v3Record(elements: Buffer[], opts: { exporterId?: number; numElements?: number; size?: number; nfversion?: number } = {}): Buffer {
  const body = Buffer.concat(elements);
  const h = Buffer.alloc(12);
  h.writeUInt16LE(11, 0);
  h.writeUInt16LE(opts.size ?? 12 + body.length, 2);
  h.writeUInt16LE(opts.numElements ?? elements.length, 4);
  h.writeUInt16LE(opts.exporterId ?? 0, 8);
  h[11] = opts.nfversion ?? 10;
  return Buffer.concat([h, body]);
}

/** An exporter info record (type 7, 32 bytes), IPv4 (`ip` a u32) or IPv6 (four words). */
export function exporterRecord(sysId: number, ip: number | [number, number, number, number], version = 10, id = 1): Buffer {
  const b = Buffer.alloc(32);
  b.writeUInt16LE(7, 0);
  b.writeUInt16LE(32, 2);
  b.writeUInt32LE(version, 4);
  if (typeof ip === 'number') {
    b.writeUInt32LE(ip >>> 0, 16);
    b.writeUInt16LE(2, 24);
  } else {
    v6Bytes(ip).copy(b, 8);
    b.writeUInt16LE(10, 24);
  }
  b.writeUInt16LE(sysId, 26);
  b.writeUInt32LE(id, 28);
  return b;
}

/** A sampler record: the 24-byte form (packet/space interval) or the old 16-byte form (one interval). */
export function samplerRecord(sysId: number, rate: number, opts: { old?: boolean; id?: number } = {}): Buffer {
  if (opts.old) {
    const b = Buffer.alloc(16);
    b.writeUInt16LE(15, 0);
    b.writeUInt16LE(16, 2);
    b.writeInt32LE(opts.id ?? -2, 4);
    b.writeUInt32LE(rate, 8);
    b.writeUInt16LE(sysId, 14);
    return b;
  }
  const b = Buffer.alloc(24);
  b.writeUInt16LE(15, 0);
  b.writeUInt16LE(24, 2);
  b.writeUInt16LE(sysId, 4);
  b.writeBigInt64LE(BigInt(opts.id ?? -2), 8);
  b.writeUInt32LE(1, 16);
  b.writeUInt32LE(rate - 1, 20);
  return b;
}

/** An exporter stat record (type 8) for `stats` entries. */
export function exporterStatRecord(stats: { sysId: number; seqFail: number; packets: number; flows: number }[]): Buffer {
  const b = Buffer.alloc(8 + 24 * stats.length);
  b.writeUInt16LE(8, 0);
  b.writeUInt16LE(b.length, 2);
  b.writeUInt32LE(stats.length, 4);
  stats.forEach((s, k) => {
    b.writeUInt32LE(s.sysId, 8 + 24 * k);
    b.writeUInt32LE(s.seqFail, 12 + 24 * k);
    u64(b, s.packets, 16 + 24 * k);
    u64(b, s.flows, 24 + 24 * k);
  });
  return b;
}

/** Any record: u16 type, u16 size, payload. */
export function rawRecord(type: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(payload.length + 4, 2);
  return Buffer.concat([h, payload]);
}

/** A data block: 12-byte header (NumRecords, size, type, flags) and its payload. */
export function block(payload: Buffer, numRecords: number, opts: { type?: number; flags?: number; size?: number } = {}): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt32LE(numRecords, 0);
  h.writeUInt32LE(opts.size ?? payload.length, 4);
  h.writeUInt16LE(opts.type ?? 3, 8);
  h.writeUInt16LE(opts.flags ?? 0, 10);
  return Buffer.concat([h, payload]);
}

/** The appendix block: ident and stat record. */
export function appendixBlock(ident: string, stat: { numflows: number; numbytes?: number; numpackets?: number; firstseen?: number; lastseen?: number }): Buffer {
  const id = Buffer.concat([Buffer.from(ident, 'latin1'), Buffer.alloc(1)]);
  const ir = rawRecord(0x8001, id);
  const s = Buffer.alloc(144);
  u64(s, stat.numflows, 0);
  u64(s, stat.numbytes ?? 0, 8);
  u64(s, stat.numpackets ?? 0, 16);
  u64(s, stat.firstseen ?? 0, 120);
  u64(s, stat.lastseen ?? 0, 128);
  return block(Buffer.concat([ir, rawRecord(0x8002, s)]), 2);
}

/** A whole LAYOUT_VERSION_2 file from its data blocks (already framed) and an optional appendix block. */
export function nffile(dataBlocks: Buffer[], appendix?: Buffer, opts: { compression?: number; numBlocks?: number; version?: number; encryption?: number } = {}): Buffer {
  const h = Buffer.alloc(40);
  h.writeUInt16LE(0xa50c, 0);
  h.writeUInt16LE(opts.version ?? 2, 2);
  h.writeUInt32LE(0x01070100, 4);
  u64(h, 1_795_386_067, 8);
  h[16] = opts.compression ?? 0;
  h[17] = opts.encryption ?? 0;
  h.writeUInt16LE(appendix ? 1 : 0, 18);
  const data = Buffer.concat(dataBlocks);
  u64(h, appendix ? 40 + data.length : 0, 24);
  h.writeUInt32LE(opts.numBlocks ?? dataBlocks.length, 36);
  return Buffer.concat([h, data, appendix ?? Buffer.alloc(0)]);
}

/** Where each data block of a real file starts and ends, and its record count (walked independently of the reader). */
export function blockMap(file: Buffer): { start: number; end: number; numRecords: number }[] {
  const n = file.readUInt32LE(36);
  const out: { start: number; end: number; numRecords: number }[] = [];
  let pos = 40;
  for (let k = 0; k < n; k++) {
    const size = file.readUInt32LE(pos + 4);
    out.push({ start: pos, end: pos + 12 + size, numRecords: file.readUInt32LE(pos) });
    pos += 12 + size;
  }
  return out;
}
