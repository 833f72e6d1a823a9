/**
 * What the readers said about the files the engine read (FlowReadOptions.onFile → FileReadInfo), summed and kept for
 * the last few files, for `engine status`: records, skipped records, partial and fallback files, exporters and their
 * sampling rates. Pure: the runner feeds it.
 */
import type { FileReadInfo } from '../engine/types.js';

/** One file as `engine status` lists it. */
export interface FileReadSummary {
  file: string;
  reader: FileReadInfo['reader'];
  records: number;
  skippedRecords: number;
  /** Native reader: data blocks read and announced in the header. */
  blocks?: number;
  blocksExpected?: number;
  partial?: FileReadInfo['partial'];
  fallback?: string;
  decompressErrors?: number;
  unknownElements?: number;
  exporters?: FileReadInfo['exporters'];
  /** Read in the decode worker thread. */
  thread?: FileReadInfo['thread'];
}

/** The sums since the engine started, and the newest files first. */
export interface ReadCounters {
  files: number;
  records: number;
  skippedRecords: number;
  /** Files read only up to damage. */
  partialFiles: number;
  /** Files the native reader handed to nfdump. */
  fallbackFiles: number;
  /** Files read in the decode worker thread (engine.decodeWorker). */
  workerFiles: number;
  decompressErrors: number;
  unknownElements: number;
  byReader: Record<string, number>;
  /** Every exporter seen, with its latest sampling rate (1 = unsampled) and the files it was in. */
  exporters: { ip: string; samplingRate?: number; files: number }[];
  recent: FileReadSummary[];
}

/** A counter set: `onFile` for the reader, `snapshot()` for status. `keep` newest files are listed. */
export function createReadCounters(keep = 10): { onFile(info: FileReadInfo): void; snapshot(): ReadCounters } {
  const c = { files: 0, records: 0, skippedRecords: 0, partialFiles: 0, fallbackFiles: 0, workerFiles: 0, decompressErrors: 0, unknownElements: 0 };
  const byReader = new Map<string, number>();
  const exporters = new Map<string, { samplingRate?: number; files: number }>();
  const recent: FileReadSummary[] = [];
  return {
    onFile(info) {
      c.files++;
      c.records += info.records;
      c.skippedRecords += info.skippedRecords;
      if (info.partial) c.partialFiles++;
      if (info.fallback) c.fallbackFiles++;
      if (info.thread === 'worker') c.workerFiles++;
      c.decompressErrors += info.decompressErrors ?? 0;
      c.unknownElements += info.unknownElements ?? 0;
      byReader.set(info.reader, (byReader.get(info.reader) ?? 0) + 1);
      for (const e of info.exporters ?? []) {
        const x = exporters.get(e.ip) ?? { files: 0 };
        x.files++;
        if (e.samplingRate !== undefined) x.samplingRate = e.samplingRate;
        exporters.set(e.ip, x);
      }
      recent.unshift({
        file: info.file,
        reader: info.reader,
        records: info.records,
        skippedRecords: info.skippedRecords,
        ...(info.blocks !== undefined ? { blocks: info.blocks, blocksExpected: info.blocksExpected ?? info.blocks } : {}),
        ...(info.partial ? { partial: info.partial } : {}),
        ...(info.fallback ? { fallback: info.fallback } : {}),
        ...(info.decompressErrors ? { decompressErrors: info.decompressErrors } : {}),
        ...(info.unknownElements ? { unknownElements: info.unknownElements } : {}),
        ...(info.exporters ? { exporters: info.exporters } : {}),
        ...(info.thread ? { thread: info.thread } : {}),
      });
      recent.length = Math.min(recent.length, keep);
    },
    snapshot() {
      return {
        ...c,
        byReader: Object.fromEntries(byReader),
        exporters: [...exporters].map(([ip, x]) => ({ ip, ...x })).sort((a, b) => b.files - a.files || a.ip.localeCompare(b.ip)),
        recent: recent.map((r) => ({ ...r })),
      };
    },
  };
}
