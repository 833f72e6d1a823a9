import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, mergeDeep, parseConfigValue } from '../../src/config/config.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-conf-'));

describe('configuration', () => {
  it('has working defaults without a file', () => {
    const dir = tmp();
    const c = loadConfig({ dir });
    expect(c.config.engine.topN).toBe(500);
    expect(c.path).toBe(path.join(dir, 'config.json'));
    expect(fs.existsSync(c.path)).toBe(false);
  });

  it('validates, writes with mode 0600 and reads back', () => {
    const dir = tmp();
    const c = loadConfig({ dir });
    c.set('engine.inside', ['10.20.0.0/16']);
    expect((fs.statSync(c.path).mode & 0o777).toString(8)).toBe('600');
    expect(loadConfig({ dir }).config.engine.inside).toEqual(['10.20.0.0/16']);
    expect(loadConfig({ dir }).config.engine.topN).toBe(500);
    expect(() => c.set('engine.topN', 'many')).toThrow(ConfigError);
    expect(() => c.set('engine.topN', 0)).toThrow(/topN/);
    expect(loadConfig({ dir }).get('engine.topN')).toBe(500);
  });

  it('reports a broken file with the path of the violation', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine: { topN: -5 } }));
    expect(() => loadConfig({ dir })).toThrow(/engine\/topN/);
  });

  it('merges deeply and parses CLI values', () => {
    expect(mergeDeep({ a: { b: 1, c: [1] } }, { a: { c: [2] } })).toEqual({ a: { b: 1, c: [2] } });
    expect(parseConfigValue('42')).toBe(42);
    expect(parseConfigValue('["a"]')).toEqual(['a']);
    expect(parseConfigValue('/var/nfcapd')).toBe('/var/nfcapd');
  });
});
