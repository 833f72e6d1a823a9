/** secrets.json merged over the configuration: secret leaves only, list entries by identity, every misplacement named. */
import { describe, expect, it } from 'vitest';
import { applySecrets } from '../../src/config/secrets.js';

const config = {
  devices: { list: [{ name: 'tn-gw', host: '192.0.2.1', user: 'noc' }, { name: 'campus-l3', host: '192.0.2.2', user: 'noc' }] },
  elasticsearch: { node: 'http://127.0.0.1:9200', username: 'nocflow', password: '' },
  flowspec: { neighbors: [{ address: '192.0.2.254', as: 65001 }] },
  alerts: { webhook: { url: '' } },
};

describe('applySecrets', () => {
  it('merges secrets by name and address, leaving everything else as it was', () => {
    const { config: c, problems } = applySecrets(config, {
      devices: { list: [{ name: 'campus-l3', password: 'pw2' }] },
      elasticsearch: { password: 'es-pw', apiKey: 'k' },
      flowspec: { neighbors: [{ address: '192.0.2.254', password: 'md5' }] },
      alerts: { webhook: { url: 'https://hooks.example/T/SECRET' } },
    });
    expect(problems).toEqual([]);
    expect(c.devices.list).toEqual([{ name: 'tn-gw', host: '192.0.2.1', user: 'noc' }, { name: 'campus-l3', host: '192.0.2.2', user: 'noc', password: 'pw2' }]);
    expect(c.elasticsearch).toEqual({ node: 'http://127.0.0.1:9200', username: 'nocflow', password: 'es-pw', apiKey: 'k' });
    expect(c.flowspec.neighbors[0]).toEqual({ address: '192.0.2.254', as: 65001, password: 'md5' });
    expect(c.alerts.webhook.url).toBe('https://hooks.example/T/SECRET');
    expect(config.elasticsearch.password).toBe(''); // the input is not changed
  });

  it('refuses what is not a secret, or names an entry the configuration lacks', () => {
    const { problems } = applySecrets(config, {
      engine: { nfcapdDir: '/x' },
      elasticsearch: { node: 'http://evil:9200', password: 7 },
      devices: { list: [{ name: 'nope', password: 'p' }, { host: '192.0.2.1', password: 'p' }] },
    });
    expect(problems).toEqual([
      'secrets.json: engine: not a section of the configuration',
      'secrets.json: elasticsearch.node: not a secret (only password, passphrase, apiKey and alerts.webhook.url belong here)',
      'secrets.json: elasticsearch.password: must be a string',
      'secrets.json: devices.list[0]: no entry with name "nope" in devices.list of the configuration',
      'secrets.json: devices.list[1]: name the entry by name or address',
    ]);
  });

  it('no secrets file: the configuration unchanged', () => {
    expect(applySecrets(config, undefined)).toEqual({ config, problems: [] });
  });
});
