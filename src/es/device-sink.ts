/** The devices area's DeviceDocSink writing each slot's ARP/MAC merges to Elasticsearch (never throws on outages). */
import type { DeviceDocSink, MergedSlot } from '../devices/merge.js';
import { deviceDocs } from './documents.js';
import type { ResultStore } from './types.js';

/** A DeviceDocSink over a ResultStore: by-IP documents to `<prefix>-arp-*`, by-MAC to `<prefix>-mac-*`. */
export function createEsDeviceDocSink(store: ResultStore): DeviceDocSink {
  return {
    async onMerged(m: MergedSlot): Promise<void> {
      const { arp, mac } = deviceDocs(m);
      await store.writeDocs('arp', arp);
      await store.writeDocs('mac', mac);
    },
  };
}
