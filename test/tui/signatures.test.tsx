/** The Signatures view in the App: :signatures lists the catalogue by port, Enter shows members, b plans blocks. */
import { describe, expect, it } from 'vitest';
import React from 'react';
import { render } from 'ink-testing-library';
import { App, type Backend } from '../../src/tui/app.js';
import type { SignatureDay } from '../../src/hunt/records.js';

const DAY = '2026-11-22';
const sig = (signature: string, strength: number, hunted: boolean, members: number, attackers: string[]): SignatureDay => {
  const [port, packets, bytes] = signature.split('-').map(Number);
  return { day: DAY, signature, port, packets, bytes, proto: 6, strength, weak: !hunted, hunted, attackers, members, flows: 0 };
};
const CATALOGUE = [sig('1433-3-152', 11.36, true, 300, ['222.74.48.230', '218.4.133.202']), sig('1433-1-40', 1, false, 0, ['125.64.94.220']), sig('22-4-240', 20, true, 2, ['185.232.67.11'])];
const MEMBERS = Array.from({ length: 300 }, (_, i) => ({ ip: `45.${i >> 8}.${i & 255}.9`, destinations: 3000 - i, flows: 3000 - i, sourcePorts: 10, files: 3, firstSeen: Date.UTC(2026, 10, 22, 1), lastSeen: Date.UTC(2026, 10, 22, 23) }));

function backendWith(opts: { active: number; flowspec: boolean }) {
  const calls: { method: string; params: unknown }[] = [];
  const backend: Backend = {
    async call<T>(method: string, params?: unknown): Promise<T> {
      calls.push({ method, params });
      if (method === 'windows.latest') return null as T;
      if (method === 'engine.methods') return ['hunt.catalogue', 'hunt.members', ...(opts.flowspec ? ['block.list', 'block.propose', 'block.add', 'block.remove'] : [])] as T;
      if (method === 'hunt.catalogue') return { day: DAY, signatures: CATALOGUE } as T;
      if (method === 'hunt.members') return { day: DAY, signature: (params as { signature: string }).signature, members: MEMBERS, maxActiveRules: opts.flowspec ? 1000 : null } as T;
      if (method === 'block.list' && opts.flowspec) return Array.from({ length: opts.active }, (_, i) => ({ id: String(i), status: 'active', rule: 'x' })) as T;
      if (method === 'block.propose' && opts.flowspec) {
        const a = (params as { anomalies: { ip: string }[] }).anomalies;
        return { proposals: a.map((x) => ({ ok: true, target: x.ip, rule: `ipv4 src ${x.ip}/32 tcp dport 1433 → discard`, impact: [] })) } as T;
      }
      throw Object.assign(new Error(`unknown method ${method}`), { code: 'NO_METHOD' });
    },
    on: () => () => undefined,
  };
  return { backend, calls };
}

const tick = (ms = 40) => new Promise((r) => setTimeout(r, ms));
const type = async (r: ReturnType<typeof render>, keys: string[]) => {
  for (const k of keys) {
    r.stdin.write(k);
    await tick(15);
  }
};

describe('the Signatures view', () => {
  it(':signatures lists the day by port; a weak shape says it was not hunted; Enter shows the members; Enter investigates', async () => {
    const { backend, calls } = backendWith({ active: 0, flowspec: true });
    const r = render(<App backend={backend} lang="en" size={{ w: 100, h: 24 }} />);
    await tick();
    await type(r, [':', ...'signatures', '\r']);
    await tick(80);
    let frame = r.lastFrame()!;
    expect(frame).toContain('Signatures of 2026-11-22');
    expect(frame.indexOf('Port 22 (SSH) | 1 signature')).toBeLessThan(frame.indexOf('Port 1433 (MSSQL) | 2 signatures'));
    expect(frame).toContain('weak: not hunted');
    await type(r, ['j', 'j', '\r']); // the weak one
    await tick();
    expect(r.lastFrame()).toContain('1433-1-40 is a weak shape');
    await type(r, ['k', '\r']);
    await tick(80);
    frame = r.lastFrame()!;
    expect(calls.find((c) => c.method === 'hunt.members')?.params).toEqual({ day: DAY, signature: '1433-3-152', limit: 5000 });
    expect(frame).toContain('1433-3-152 on 2026-11-22: 2 attacker(s), 300 member(s)');
    expect(frame).toContain('45.0.0.9');
    await type(r, ['\r']);
    await tick(80);
    const inv = calls.find((c) => c.method === 'investigate.start');
    expect((inv?.params as { target: string }).target).toBe('45.0.0.9');
  });

  it('b on a marked family of 300 proposes the members with most destinations, within the rule budget', async () => {
    const { backend, calls } = backendWith({ active: 980, flowspec: true });
    const r = render(<App backend={backend} lang="en" size={{ w: 160, h: 48 }} />);
    await tick();
    await type(r, [':', ...'signature 1433-3-152', '\r']);
    await tick(100);
    // Mark all 300 (Space moves down after marking).
    for (let i = 0; i < 300; i++) r.stdin.write(' ');
    await tick(200);
    await type(r, ['b']);
    await tick(200);
    const propose = calls.find((c) => c.method === 'block.propose')!;
    const ips = (propose.params as { anomalies: { ip: string; signature: string }[] }).anomalies.map((a) => a.ip);
    expect(ips).toEqual(MEMBERS.slice(0, 20).map((m) => m.ip));
    const frame = r.lastFrame()!;
    expect(frame).toContain('proposing the 20 with the most destinations of 300 marked: 20 rules of 20 left under flowspec.maxActiveRules 1000 (0 after)');
  });

  it('without FlowSpec, b says why and proposes nothing', async () => {
    const { backend, calls } = backendWith({ active: 0, flowspec: false });
    const r = render(<App backend={backend} lang="zh-TW" size={{ w: 100, h: 24 }} />);
    await tick();
    await type(r, [':', ...'signature 1433-3-152', '\r']);
    await tick(80);
    expect(r.lastFrame()).toContain('2026-11-22 1433-3-152：2 個攻擊者，300 個成員');
    await type(r, [' ', 'b']);
    await tick(80);
    expect(calls.some((c) => c.method === 'block.propose')).toBe(false);
  });
});
