import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createElasticsearchArea } from '../../src/es/area.js';
import { createEsDeviceDocSink } from '../../src/es/device-sink.js';
import { elasticsearchDefaults } from '../../src/config/sections/elasticsearch.js';
import { startFakeEs, type FakeEs } from './es-server.js';

let server: FakeEs | undefined;
let dir = '';
afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('createElasticsearchArea', () => {
  it('is absent when elasticsearch.node is empty', () => {
    expect(createElasticsearchArea(elasticsearchDefaults, { dataDir: '/nonexistent' })).toBeUndefined();
  });

  it('wires sink, device sink and store to one cluster; stop replays the spool and closes', async () => {
    server = await startFakeEs();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-es-area-'));
    const area = createElasticsearchArea({ ...elasticsearchDefaults, node: server.url }, { dataDir: dir })!;
    expect(server.requests).toHaveLength(0); // inert until used
    await area.sink.writeWindow({ window: { timeSlot: 5_984_737, start: 5_984_737 * 300 - 150, end: 5_984_737 * 300 + 150 }, flows: 1, packets: 1, bytes: 40, distinctIps: 2, anomalies: [] });
    await createEsDeviceDocSink(area.store).onMerged({ timeSlot: 5_984_737, byIp: [{ ip: '192.0.2.10', timestamp: 1_795_421_000_000, timeSlot: 5_984_737, macList: [], typeList: [], devices: ['core1'], interfaceList: [] }], byMac: [] });
    expect([...server.docs.keys()].sort()).toEqual(['nocflow-arp-2026.11.23', 'nocflow-window-2026.11.23']);
    expect(area.store.stats()).toMatchObject({ indexed: 2, spooled: 0 });
    await area.stop();
  });
});
