/**
 * The BGP speaker adapter: GoBGP driven through its CLI (execa, argument arrays), and, in managed mode, a gobgpd
 * process with a configuration generated from the `flowspec` config section. Only validated rules reach it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { speakerProblems, type SpeakerSettings } from '../config/sections/flowspec.js';
import { canonicalIp } from '../util/ip.js';
import { gobgpRuleArgs, type FlowSpecRule } from './rule.js';

/** A failure talking to the speaker, with the command's own words. */
export class SpeakerError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpeakerError';
  }
}

/** What the block service needs from a speaker. */
export interface Speaker {
  announce(rule: FlowSpecRule): Promise<void>;
  withdraw(rule: FlowSpecRule): Promise<void>;
  /** NLRI texts currently in the speaker's own RIB, per family. */
  list(): Promise<{ 4: string[]; 6: string[] }>;
  /** Withdraw a route found in the RIB by its NLRI text (unknown to the store). */
  withdrawText(family: 4 | 6, nlri: string): Promise<void>;
}

/** Speaker through `gobgp -u host -p port ...`. */
export function createGobgpSpeaker(opts: { cliBin?: string; apiHost: string; apiPort: number }): Speaker {
  const bin = opts.cliBin ?? 'gobgp';
  const base = ['-u', opts.apiHost, '-p', String(opts.apiPort)];
  const run = async (args: string[]) => {
    const r = await execa(bin, [...base, ...args], { reject: false, timeout: 10_000, stdin: 'ignore' });
    if (r.exitCode !== 0) throw new SpeakerError(`gobgp ${args.slice(0, 5).join(' ')}…: ${String(r.stderr || r.stdout).trim().split('\n')[0] || r.shortMessage}`);
    return String(r.stdout);
  };
  const list1 = async (family: 4 | 6) => {
    const out = await run(['global', 'rib', '-a', `ipv${family}-flowspec`, '-j']);
    const t = out.trim();
    if (!t || t === 'null') return [];
    return Object.keys(JSON.parse(t) as Record<string, unknown>);
  };
  return {
    announce: async (r) => void (await run(gobgpRuleArgs(r, 'add'))),
    withdraw: async (r) => void (await run(gobgpRuleArgs(r, 'del'))),
    list: async () => ({ 4: await list1(4), 6: await list1(6) }),
    async withdrawText(family, nlri) {
      // Rebuild the match words from the NLRI text GoBGP printed: [destination: P][source: P][protocol: ==tcp]...
      const args = ['global', 'rib', '-a', `ipv${family}-flowspec`, 'del', 'match'];
      for (const m of nlri.matchAll(/\[([a-z-]+): ([^\]]+)\]/g)) {
        const value = family === 6 && (m[1] === 'destination' || m[1] === 'source') ? m[2].replace(/\/0$/, '') : m[2];
        args.push(m[1], value);
      }
      await run(args);
    },
  };
}

/** Settings of a managed gobgpd (the flowspec section's speaker fields; `neighbors[].password` is the TCP-MD5 key). */
export interface ManagedGobgpd extends SpeakerSettings {
  bin?: string;
}

/** A TOML basic string: quoted, with `"`, `\` and control characters escaped. Pure. */
export function tomlString(s: string): string {
  return `"${s.replace(/[\\"\u0000-\u001f\u007f]/g, (c) => (c === '"' || c === '\\' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))}"`;
}

/**
 * gobgpd's TOML configuration for a managed speaker (pure). Every value is validated first (speakerProblems: a
 * SpeakerError lists them) and written canonical; strings are TOML-escaped; a neighbor's `password` becomes its
 * `auth-password` (TCP-MD5).
 */
export function gobgpdConfig(c: ManagedGobgpd): string {
  const problems = speakerProblems(c);
  if (problems.length > 0) throw new SpeakerError(`gobgpd configuration: ${problems.join('; ')}`);
  const ip = (a: string) => tomlString(canonicalIp(a)!);
  const lines = ['[global.config]', `  as = ${c.as}`, `  router-id = ${ip(c.routerId)}`, `  port = ${c.listenPort}`, `  local-address-list = [${ip(c.listenAddress)}]`];
  for (const n of c.neighbors) {
    lines.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${ip(n.address)}`, `    peer-as = ${n.as}`);
    if (n.password !== undefined) lines.push(`    auth-password = ${tomlString(n.password)}`);
    lines.push('  [neighbors.transport.config]', `    local-address = ${ip(n.localAddress ?? c.listenAddress)}`);
    if (n.port) lines.push(`    remote-port = ${n.port}`);
    for (const fam of ['ipv4-flowspec', 'ipv6-flowspec']) lines.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${fam}"`);
  }
  return `${lines.join('\n')}\n`;
}

/** Start gobgpd with a generated config in `dir`; resolves when its API answers. */
export async function startGobgpd(c: ManagedGobgpd, dir: string): Promise<{ stop(): Promise<void>; pid?: number }> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'gobgpd.toml');
  fs.writeFileSync(file, gobgpdConfig(c), { mode: 0o600 });
  const proc: ResultPromise = execa(c.bin ?? 'gobgpd', ['-f', file, '--api-hosts', `${c.apiHost}:${c.apiPort}`, '-l', 'warn', '--disable-stdlog'], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
  const speaker = createGobgpSpeaker({ apiHost: c.apiHost, apiPort: c.apiPort });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new SpeakerError(`gobgpd exited at start (${proc.exitCode})`);
    try {
      await speaker.list();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    pid: proc.pid,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await proc;
    },
  };
}
