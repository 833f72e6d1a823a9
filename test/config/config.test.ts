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
    expect(() => loadConfig({ dir })).toThrow(/engine\.topN: must be >= 1/);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine: { thrsholds: {}, inside: [1] }, flowspc: {} }));
    let err: ConfigError | undefined;
    try {
      loadConfig({ dir });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err?.violations).toEqual(['engine.inside[0]: must be string', 'engine.thrsholds: unknown key (did you mean engine.thresholds?)', 'flowspc: unknown key (did you mean flowspec?)']);
    expect(err?.message).toContain(path.join(dir, 'config.json'));
  });

  it('set refuses a value the semantic check rejects, with its path, and writes nothing', () => {
    const dir = tmp();
    const c = loadConfig({ dir });
    c.set('engine.inside', ['10.20.0.0/16']);
    const before = fs.readFileSync(c.path, 'utf8');
    expect(() => c.set('engine.inside', ['10.20.0.0/16', '10.0.0.0/33'])).toThrow('cannot set engine.inside: engine.inside[1]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"');
    expect(() => c.set('engine.thresholds', { 'scan.pears': 10 })).toThrow(/engine\.thresholds\.scan\.pears: unknown threshold key \(did you mean scan\.peers\?\)/);
    expect(() => c.set('flowspec.neighbors', [{ address: '192.0.2.1', as: 65002, password: 'x'.repeat(81) }])).toThrow(/flowspec\.neighbors\[0\]\.password: is 81 characters long/);
    expect(() => c.set('flowspec.defaultTtlSeconds', 999999)).toThrow(/flowspec\.maxTtlSeconds: 86400 is shorter than flowspec\.defaultTtlSeconds \(999999\)/);
    expect(fs.readFileSync(c.path, 'utf8')).toBe(before);
    expect(c.problems()).toEqual([]);
  });

  it('set fixes one problem of a file that has others (only what a value adds is refused)', () => {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine: { inside: ['10.0.0.0/33'], knownServers: ['x'] } }));
    const c = loadConfig({ dir });
    expect(c.problems()).toHaveLength(2);
    c.set('engine.inside', ['10.0.0.0/8']);
    expect(c.problems()).toEqual(['engine.knownServers[0]: not an IP address or prefix: "x"']);
    expect(loadConfig({ dir }).config.engine.inside).toEqual(['10.0.0.0/8']);
  });

  it('merges deeply and parses CLI values', () => {
    expect(mergeDeep({ a: { b: 1, c: [1] } }, { a: { c: [2] } })).toEqual({ a: { b: 1, c: [2] } });
    expect(parseConfigValue('42')).toBe(42);
    expect(parseConfigValue('["a"]')).toEqual(['a']);
    expect(parseConfigValue('/var/nfcapd')).toBe('/var/nfcapd');
  });
});
