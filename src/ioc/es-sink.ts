/**
 * Stage 2 into Elasticsearch (thin shell): the day's IoC-centred records into the daily index
 * `<prefix>-iocflow-YYYY.MM.DD` (named by the job's day), written with `refresh_interval: -1` during the load and
 * one `_refresh` after (the seeds' discipline; ResultStore.backfillDay), in ~10 MB bulk bodies. Ids are
 * deterministic (day, IoC, n-th record of the IoC), so re-running a day overwrites instead of duplicating.
 */
import { docId } from '../es/index-discipline.js';
import type { EsDoc, ResultStore } from '../es/types.js';
import type { Stage2Sink } from './job.js';
import { recordDoc, type IocRecord } from './records.js';

/** The UTC noon of a YYYY-MM-DD: its UTC day is the same date, whatever the local offset. */
export function dayStamp(day: string): number {
  const [y, m, d] = day.split('-').map(Number);
  return Date.UTC(y, m - 1, d, 12);
}

/** The documents of a day's records (pure). */
export function recordDocs(day: string, records: readonly IocRecord[]): EsDoc[] {
  const seq = new Map<string, number>();
  const ts = dayStamp(day);
  return records.map((r) => {
    const n = seq.get(r.ioc) ?? 0;
    seq.set(r.ioc, n + 1);
    return { id: docId('iocflow', day, r.ioc, n), ts, body: recordDoc(r) };
  });
}

/** A Stage2Sink over the result store. */
export function createIocEsSink(store: ResultStore): Stage2Sink {
  return {
    async writeDay(day, records) {
      const docs = recordDocs(day, records);
      await store.backfillDay('iocflow', dayStamp(day), () => store.writeDocs('iocflow', docs));
      return { documents: docs.length };
    },
  };
}
