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

/**
 * Speaker through `gobgp -u host -p port ...`. `list()` names the speaker's own routes; with `learned` (a router's
 * view, in tests and benchmarks) also the routes its peers sent it. `communities` maps a neighbour address to the
 * community that steers a route to it (entry-point mitigation): a rule with `neighbors` is announced carrying theirs.
 */
export function createGobgpSpeaker(opts: { cliBin?: string; apiHost: string; apiPort: number; learned?: boolean; communities?: Record<string, string> }): Speaker {
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
    // The speaker's own routes only: a path learned from a peer carries its neighbor-ip (and cannot be deleted here).
    const rib = JSON.parse(t) as Record<string, { 'neighbor-ip'?: string }[]>;
    return Object.keys(rib).filter((k) => opts.learned || (rib[k] ?? []).some((path) => !path['neighbor-ip']));
  };
  return {
    announce: async (r) => {
      const targets = (r.neighbors ?? []).map((n) => opts.communities?.[n]);
      // A rule for some neighbours without their communities would reach every router: refuse rather than widen it.
      if (targets.some((c) => c === undefined)) throw new SpeakerError(`no community steers routes to ${(r.neighbors ?? []).filter((n) => !opts.communities?.[n]).join(', ')} (not a configured neighbour with entries)`);
      await run(gobgpRuleArgs(r, 'add', targets as string[]));
    },
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
  /**
   * Entry-point mitigation: each neighbour's steering community. A route carrying some of them is exported only to
   * their neighbours (the communities are removed on the way out); a route carrying none goes to every neighbour.
   */
  targets?: { address: string; community: string }[];
}

/** The name of the global export policy that steers targeted rules. */
export const TARGET_POLICY = 'nocflow-targets';

/** The defined sets and the global export policy of entry-point mitigation, as TOML lines (pure). */
function targetPolicy(targets: { address: string; community: string }[]): string[] {
  const all = targets.map((t) => tomlString(t.community)).join(', ');
  const lines = ['[global.apply-policy.config]', `  export-policy-list = ["${TARGET_POLICY}"]`, '  default-export-policy = "accept-route"'];
  targets.forEach((t, i) => {
    const addr = canonicalIp(t.address) ?? t.address;
    const host = addr.includes(':') ? `${addr}/128` : `${addr}/32`;
    lines.push('[[defined-sets.neighbor-sets]]', `  neighbor-set-name = "nocflow-n${i}"`, `  neighbor-info-list = [${tomlString(host)}]`);
    lines.push('[[defined-sets.bgp-defined-sets.community-sets]]', `  community-set-name = "nocflow-to-n${i}"`, `  community-list = [${tomlString(t.community)}]`);
  });
  lines.push('[[defined-sets.bgp-defined-sets.community-sets]]', '  community-set-name = "nocflow-targeted"', `  community-list = [${all}]`);
  lines.push('[[policy-definitions]]', `  name = "${TARGET_POLICY}"`);
  // Statement names are global in gobgpd: a duplicate makes it drop the whole policy (and export everything).
  targets.forEach((_t, i) => {
    const cond = (set: string) => [
      '    [policy-definitions.statements.conditions.match-neighbor-set]', `      neighbor-set = "nocflow-n${i}"`, '      match-set-options = "any"',
      '    [policy-definitions.statements.conditions.bgp-conditions.match-community-set]', `      community-set = "${set}"`, '      match-set-options = "any"',
    ];
    lines.push('  [[policy-definitions.statements]]', `    name = "nocflow-n${i}-mine"`, ...cond(`nocflow-to-n${i}`),
      '    [policy-definitions.statements.actions]', '      route-disposition = "accept-route"',
      '    [policy-definitions.statements.actions.bgp-actions.set-community]', '      options = "remove"',
      '      [policy-definitions.statements.actions.bgp-actions.set-community.set-community-method]', `        communities-list = [${all}]`);
    lines.push('  [[policy-definitions.statements]]', `    name = "nocflow-n${i}-others"`, ...cond('nocflow-targeted'),
      '    [policy-definitions.statements.actions]', '      route-disposition = "reject-route"');
  });
  return lines;
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
  if (c.targets?.length) lines.push(...targetPolicy(c.targets));
  for (const n of c.neighbors) {
    lines.push('[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${ip(n.address)}`, `    peer-as = ${n.as}`);
    if (n.password !== undefined) lines.push(`    auth-password = ${tomlString(n.password)}`);
    lines.push('  [neighbors.transport.config]', `    local-address = ${ip(n.localAddress ?? c.listenAddress)}`);
    if (n.port) lines.push(`    remote-port = ${n.port}`);
    for (const fam of ['ipv4-flowspec', 'ipv6-flowspec']) lines.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${fam}"`);
  }
  return `${lines.join('\n')}\n`;
}

/** Stop a gobgpd left running by an engine that was killed: the pid file's process, if it runs gobgpd with `config`. */
async function stopOrphan(pidFile: string, config: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  const isOurs = () => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      return /(^|\/)gobgpd$/.test(argv[0] ?? '') && argv.includes(config);
    } catch {
      return false;
    }
  };
  if (Number.isInteger(pid) && pid > 0 && isOurs()) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && isOurs(); i++) await new Promise((r) => setTimeout(r, 100));
    if (isOurs()) process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 20 && isOurs(); i++) await new Promise((r) => setTimeout(r, 100));
  }
  fs.rmSync(pidFile, { force: true });
}

/** A managed gobgpd process. */
export interface ManagedProcess {
  pid?: number;
  /** Resolves when the process ends, however it ends (stop, crash, kill -9). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  stop(): Promise<void>;
}

/**
 * Start gobgpd with a generated config in `dir`; resolves when its API answers, rejects (SpeakerError, the process
 * stopped) when it exits first or its API does not answer within `apiTimeoutMs` (a bad config, a port clash).
 */
export async function startGobgpd(c: ManagedGobgpd, dir: string, opts: { apiTimeoutMs?: number } = {}): Promise<ManagedProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'gobgpd.toml');
  const pidFile = path.join(dir, 'gobgpd.pid');
  // An engine killed with -9 leaves its gobgpd running (a child is not killed with its parent): it holds the ports
  // and announces the old state. Stop it first — only if it is gobgpd with this very configuration.
  await stopOrphan(pidFile, file);
  fs.writeFileSync(file, gobgpdConfig(c), { mode: 0o600 });
  const proc: ResultPromise = execa(c.bin ?? 'gobgpd', ['-f', file, '--api-hosts', `${c.apiHost}:${c.apiPort}`, '-l', 'warn', '--disable-stdlog'], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' });
  if (proc.pid) fs.writeFileSync(pidFile, `${proc.pid}\n`, { mode: 0o600 });
  const exited = proc.then(
    (r) => ({ code: r.exitCode ?? null, signal: r.signal ?? null }),
    () => ({ code: null, signal: null }),
  );
  void exited.then(() => {
    try {
      if (Number(fs.readFileSync(pidFile, 'utf8').trim()) === proc.pid) fs.rmSync(pidFile, { force: true });
    } catch {
      /* gone already */
    }
  });
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  const speaker = createGobgpSpeaker({ apiHost: c.apiHost, apiPort: c.apiPort });
  const deadline = Date.now() + (opts.apiTimeoutMs ?? 10_000);
  let lastError = '';
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new SpeakerError(`gobgpd exited at start (${proc.exitCode ?? proc.signalCode}); see ${file}`);
    try {
      await speaker.list();
      break;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() >= deadline) {
      await stop();
      throw new SpeakerError(`gobgpd's API on ${c.apiHost}:${c.apiPort} did not answer within ${opts.apiTimeoutMs ?? 10_000} ms (${lastError}); stopped it`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  if (c.targets?.length) {
    // gobgpd starts even when it rejects a policy, and then exports every route to every neighbour: check it loaded.
    const r = await execa('gobgp', ['-u', c.apiHost, '-p', String(c.apiPort), 'global', 'policy', 'export', '-j'], { reject: false, timeout: 10_000, stdin: 'ignore' });
    if (!String(r.stdout).includes(`"${TARGET_POLICY}"`)) {
      await stop();
      throw new SpeakerError(`gobgpd did not load the entry-point export policy (${String(r.stderr || r.stdout).trim().split('\n')[0] || 'no policy'}); see ${file}`);
    }
  }
  return { pid: proc.pid, exited, stop };
}
