import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

const BIN = path.resolve(__dirname, '../../bin/nocflow.js');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'nocflow-configcli-'));
const cli = (dir: string) => (...args: string[]) => execa('node', [BIN, ...args], { env: { NOCFLOW_CONFIG_DIR: dir }, reject: false });

describe('nocflow config (built CLI)', () => {
  it('set refuses a bad value: exit 2, one line with its path and reason, nothing written', async () => {
    const dir = tmp();
    const nocflow = cli(dir);
    expect((await nocflow('config', 'set', 'engine.inside', '["10.20.0.0/16"]')).exitCode).toBe(0);
    const before = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    const bad = await nocflow('config', 'set', 'engine.inside', '["10.20.0.0/16","10.0.0.0/33"]');
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe('nocflow: engine.inside[1]: IPv4 prefix length 33 > 32 in "10.0.0.0/33" (engine.inside not changed)');
    const typo = await nocflow('config', 'set', 'engine.thresholds', '{"scan.pears":10}');
    expect([typo.exitCode, typo.stderr]).toEqual([2, 'nocflow: engine.thresholds.scan.pears: unknown threshold key (did you mean scan.peers?) (engine.thresholds not changed)']);
    const schema = await nocflow('config', 'set', 'engine.topN', 'many');
    expect([schema.exitCode, schema.stderr]).toEqual([2, 'nocflow: engine.topN: must be integer (engine.topN not changed)']);
    const mapped = await nocflow('config', 'set', 'flowspec.neighbors', '[{"address":"::ffff:192.0.2.1","as":65002,"password":"s3cret"}]');
    expect(mapped.exitCode, mapped.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).not.toBe(before);
    // The TCP-MD5 key is a secret: masked like the others.
    expect(JSON.parse((await nocflow('config', 'get', 'flowspec.neighbors')).stdout)).toEqual([{ address: '::ffff:192.0.2.1', as: 65002, password: '********' }]);
    expect(JSON.parse((await nocflow('config', 'get', 'flowspec.neighbors', '--show-secrets')).stdout)[0].password).toBe('s3cret');
    expect((await nocflow('config', 'check')).stdout).toBe(`ok: ${path.join(dir, 'config.json')}`);
  }, 300_000);

  it('check lists every violation with its path (stdout), exit 2; schema problems and unknown keys too', async () => {
    const dir = tmp();
    const nocflow = cli(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine: { inside: ['10.0.0.0/33', 'campus'], knownServers: ['8.8.8.8'], thresholds: { 'scan.pears': 3 } }, flowspec: { routerId: 'r1', neighbors: [{ address: '192.0.2.1', as: 65002, password: 'x'.repeat(90) }] }, elasticsearch: { node: 'es:9200' } }));
    const r = await nocflow('config', 'check');
    expect(r.exitCode).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      'engine.inside[0]: IPv4 prefix length 33 > 32 in "10.0.0.0/33"',
      'engine.inside[1]: not an IP address or prefix: "campus"',
      'engine.thresholds.scan.pears: unknown threshold key (did you mean scan.peers?)',
      'elasticsearch.node: "es:9200": the scheme must be http or https',
      'flowspec.routerId: "r1" is not an IPv4 address',
      'flowspec.neighbors[0].password: is 90 characters long; TCP-MD5 keys are at most 80',
    ]);
    expect(r.stderr).toBe(`nocflow: ${path.join(dir, 'config.json')}: 6 problem(s)`);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ engine: { topN: 'x', tresholds: {} } }));
    const s = await nocflow('config', 'check');
    expect(s.exitCode).toBe(2);
    expect(s.stdout.trim().split('\n')).toEqual(['engine.topN: must be integer', 'engine.tresholds: unknown key (did you mean engine.thresholds?)']);
  }, 300_000);
});
