/**
 * Building a ZSTD (compression 4) nffile from an uncompressed one: nfdump 1.7.1 cannot write ZSTD (added in 1.7.3),
 * so every block of a real nfcapd file — data blocks and the appendix — is compressed as one zstd frame by the zstd
 * CLI, exactly as nfdump ≥ 1.7.3 does (`ZSTD_compress`: one frame per block), and the header is rewritten
 * (compression 4, offAppendix). The committed fixture test/fixtures/nffile-zstd.nfcapd was made this way from
 * test/fixtures/nffile-zstd.plain.nfcapd (`NOCFLOW_WRITE_FIXTURES=1 npx vitest run test/ingest/nffile/zstd.test.ts`).
 */
import { execa } from 'execa';

/** One block through `zstd` (stdin → stdout); `args` choose level, content size and checksum. */
export async function zstdCompress(data: Buffer, args: string[] = []): Promise<Buffer> {
  const r = await execa('zstd', ['-q', '-c', `--stream-size=${data.length}`, ...args], { input: data, encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(r.stdout as Uint8Array);
}

/** Rewrite an uncompressed LAYOUT_VERSION_2 file as a ZSTD one, block by block. */
export async function toZstdFile(plain: Buffer, compress: (block: Buffer) => Promise<Buffer> = (b) => zstdCompress(b)): Promise<Buffer> {
  if (plain.readUInt16LE(0) !== 0xa50c || plain.readUInt16LE(2) !== 2 || plain[16] !== 0) throw new Error('not an uncompressed LAYOUT_VERSION_2 file');
  const numBlocks = plain.readUInt32LE(36);
  const offAppendix = Number(plain.readBigUInt64LE(24));
  const appendixBlocks = plain.readUInt16LE(18);
  const out: Buffer[] = [];
  const reblock = async (pos: number): Promise<number> => {
    const h = Buffer.from(plain.subarray(pos, pos + 12));
    const size = h.readUInt32LE(4);
    const z = await compress(Buffer.from(plain.subarray(pos + 12, pos + 12 + size)));
    h.writeUInt32LE(z.length, 4);
    out.push(h, z);
    return pos + 12 + size;
  };
  let pos = 40;
  for (let k = 0; k < numBlocks; k++) pos = await reblock(pos);
  if (pos !== offAppendix) throw new Error(`data blocks end at ${pos}, appendix at ${offAppendix}`);
  const newOffAppendix = 40 + out.reduce((a, b) => a + b.length, 0);
  for (let k = 0; k < appendixBlocks; k++) pos = await reblock(pos);
  const head = Buffer.from(plain.subarray(0, 40));
  head[16] = 4;
  head.writeBigUInt64LE(BigInt(newOffAppendix), 24);
  return Buffer.concat([head, ...out]);
}
