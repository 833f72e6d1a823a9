/**
 * Block index files (shell): where the index of an nfcapd file lives, writing one as the file is read (to a
 * temporary name, renamed when complete, so a reader never sees half of one), opening one for a read only when it
 * still describes the file (size, modification time, block count), and removing those whose nfcapd file is gone.
 * The format is block-index.ts's.
 *
 * Index files live in their own directory (the engine's data directory, `block-index/`), never beside nfcapd's files:
 * the collector's directory may not be ours to write, and nfdump's tools would not expect strangers in it. An index
 * is an optimisation: any trouble with one (unwritable directory, damaged file) means reading every block, never an
 * error of the read.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { BlockIndexBuilder, decodeHeader, decodeTable, ENTRY_SIZE, INDEX_HEADER_SIZE, lineHas, lineOffset, type IndexEntry, type IndexHeader } from './block-index.js';

/** The index file of `file` in `dir`: its name, then a hash of its absolute path (two collectors may share names). */
export function indexPathFor(dir: string, file: string): string {
  const abs = path.resolve(file);
  const h = crypto.createHash('sha256').update(abs).digest('hex').slice(0, 12);
  return path.join(dir, `${path.basename(abs)}.${h}.nfidx`);
}

/** An index being written while its file is read. `finish` when the read was whole, `abort` otherwise. */
export interface IndexWriting {
  builder: BlockIndexBuilder;
  finish(): boolean;
  abort(): void;
}

/** Start writing the index of `file` (whose fstat is `st`) into `dir`; undefined when the directory is unusable. */
export function startIndex(dir: string, file: string, st: fs.Stats): IndexWriting | undefined {
  const final = indexPathFor(dir, file);
  const tmp = `${final}.${process.pid}.tmp`;
  let fd: number;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
    fd = fs.openSync(tmp, 'w', 0o640);
  } catch {
    return undefined;
  }
  let failed = false;
  const write = (bytes: Uint8Array, position: number) => {
    if (failed) return;
    try {
      let done = 0;
      while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done, position + done);
    } catch {
      failed = true;
    }
  };
  const builder = new BlockIndexBuilder({ path: path.resolve(file), size: st.size, mtimeMs: st.mtimeMs }, write);
  const close = () => closeQuietly(fd);
  return {
    builder,
    finish() {
      const { table, tableAt, header } = builder.finish();
      write(table, tableAt);
      write(header, 0);
      close();
      try {
        if (failed) throw new Error('write failed');
        fs.renameSync(tmp, final);
        return true;
      } catch {
        fs.rmSync(tmp, { force: true });
        return false;
      }
    },
    abort() {
      close();
      fs.rmSync(tmp, { force: true });
    },
  };
}

/** An open index: its entries, and a lookup of one block's filter line. Close it after the read. */
export interface OpenIndex {
  entries: IndexEntry[];
  /** False only when no flow of block `e` can have one of `keys` as its source or destination. */
  mayHold(e: IndexEntry, keys: readonly number[]): boolean;
  close(): void;
}

/** The header of the index open on `fd`, or why it is not one. */
function readHeader(fd: number): IndexHeader | { error: string } {
  const size = fs.fstatSync(fd).size;
  const head = Buffer.alloc(Math.min(size, INDEX_HEADER_SIZE + 4096));
  const n = fs.readSync(fd, head, 0, head.length, 0);
  return decodeHeader(head.subarray(0, n), size);
}

/** True when the index `h` was made from the file as `st` describes it now (same size, same modification time). */
const describes = (h: IndexHeader, st: { size: number; mtimeMs: number }) => h.fileSize === st.size && h.fileMtimeMs === st.mtimeMs;

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * Open the index of `file` (fstat `st`, `numBlocks` data blocks in its header), or undefined when there is none or it
 * does not describe the file as it is now (another size or modification time, another block count, damage).
 */
export function openIndex(dir: string, file: string, st: fs.Stats, numBlocks: number): OpenIndex | undefined {
  let fd: number;
  try {
    fd = fs.openSync(indexPathFor(dir, file), 'r');
  } catch {
    return undefined;
  }
  try {
    const h = readHeader(fd);
    if ('error' in h || h.blocks !== numBlocks || !describes(h, st) || h.path !== path.resolve(file)) throw new Error('not this file\'s index');
    const tableBytes = Buffer.alloc(h.blocks * ENTRY_SIZE);
    if (fs.readSync(fd, tableBytes, 0, tableBytes.length, h.tableAt) !== tableBytes.length) throw new Error('table cut short');
    const entries = decodeTable(tableBytes, h.blocks, h);
    if ('error' in entries) throw new Error(entries.error);
    const line = new Int32Array(16);
    const lineBytes = new Uint8Array(line.buffer);
    return {
      entries,
      mayHold(e, keys) {
        if (e.lines === 0) return false; // no flow in the block
        for (const key of keys) {
          try {
            if (fs.readSync(fd, lineBytes, 0, 64, e.filterAt + lineOffset(e.lines, key)) !== 64) return true;
          } catch {
            return true;
          }
          if (lineHas(line, 0, key)) return true;
        }
        return false;
      },
      close: () => closeQuietly(fd),
    };
  } catch {
    // Not usable (another file's, stale, damaged): the read reads every block.
    closeQuietly(fd);
    return undefined;
  }
}

/**
 * Remove the index files in `dir` whose nfcapd file no longer exists (nfcapd's expiry removed it) or has changed
 * since, and temporary files left by a crash; returns how many went.
 */
export function pruneIndexes(dir: string): number {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const p = path.join(dir, name);
    if (name.endsWith('.tmp')) {
      const pid = Number(name.split('.').at(-2));
      if (pid === process.pid || alive(pid)) continue;
    } else if (name.endsWith('.nfidx')) {
      if (!staleIndex(p)) continue;
    } else continue;
    fs.rmSync(p, { force: true });
    removed++;
  }
  return removed;
}

/** True when the index file at `p` is damaged or its nfcapd file is gone or changed. */
function staleIndex(p: string): boolean {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch {
    return true;
  }
  try {
    const h = readHeader(fd);
    if ('error' in h) return true;
    const st = fs.statSync(h.path, { throwIfNoEntry: false });
    return !st || !describes(h, st);
  } catch {
    return true;
  } finally {
    closeQuietly(fd);
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
