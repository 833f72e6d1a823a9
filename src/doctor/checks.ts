/**
 * `nocflow doctor`: what an operator needs, checked from where they sit, in plain words (src/doctor/report.ts).
 * The configuration, the nfcapd directory (readable, fresh), the reader and nfdump, the store (writable, migrations,
 * no downgrade), the engine's socket and this user's way into it (the group), the engine itself, gobgpd and its
 * peers, each device (reachable; its host key compared with known_hosts — the SSH handshake is cut at the host key,
 * before any user name or credential is sent), Elasticsearch, and the alert channels (TCP reachability; nothing is
 * sent). Every network check has a short timeout. Read-only: doctor changes nothing.
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { Client as SshClient } from 'ssh2';
import { ConfigError, loadConfig, type ConfigHandle } from '../config/config.js';
import type { NocflowConfig } from '../config/schema.js';
import { describeFile, groupName } from '../config/location.js';
import { callEngine, defaultSocketPath } from '../daemon/client.js';
import { checkEngine } from '../daemon/main.js';
import type { EngineStatus } from '../daemon/methods.js';
import { DEFAULT_LAYOUT } from '../deploy/unit.js';
import { checkHostKey, keyTypeOfBlob, parseKnownHosts } from '../devices/known-hosts.js';
import { rotationInterval } from '../ingest/runner.js';
import { listCompleted } from '../ingest/watcher.js';
import { allMigrations } from '../store/migrations/index.js';
import { resolveDbPath } from '../store/db.js';
import { dataDir } from '../util/paths.js';
import { stripControl } from '../util/sanitize.js';
import { VERSION } from '../util/version.js';
import { ago, judgeFreshness, judgeSocketAccess, report, type DoctorReport, type Finding } from './report.js';

/** Options (tests inject the clock and shorter timeouts). */
export interface DoctorOptions {
  now?: () => number;
  /** Per network check; default 5 s. */
  timeoutMs?: number;
  socketPath?: string;
}

const S_IFSOCK = 0o140000;

/** This process's user, for messages. */
function me(): { uid: number; gid: number; groups: number[]; name: string } {
  const uid = process.getuid?.() ?? -1;
  let name = process.env.USER || `uid ${uid}`;
  try {
    name = os.userInfo().username;
  } catch {
    /* a uid without a passwd entry */
  }
  return { uid, gid: process.getgid?.() ?? -1, groups: process.getgroups?.() ?? [], name };
}

/** True when /etc/group names `user` as a member of `gid`. */
function listedInGroup(user: string, gid: number): boolean {
  try {
    for (const line of fs.readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(gid)) return (f[3] ?? '').split(',').includes(user);
    }
  } catch {
    /* no group file */
  }
  return false;
}

/** TCP connect with a timeout; undefined when it worked, else the reason. */
function tcpProblem(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (why?: string) => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(timeoutMs, () => done(`no answer within ${Math.round(timeoutMs / 1000)} s`));
    s.once('connect', () => done(undefined));
    s.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'connection refused' : err.code ?? err.message));
  });
}

/** The host key a device presents: the handshake stops at the key, before authentication. */
function presentedHostKey(host: string, port: number, timeoutMs: number, legacy?: boolean): Promise<{ key?: Buffer; error?: string }> {
  return new Promise((resolve) => {
    const c = new SshClient();
    let key: Buffer | undefined;
    let settled = false;
    const done = (r: { key?: Buffer; error?: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      c.end();
      resolve(r);
    };
    const timer = setTimeout(() => done({ error: `no SSH handshake within ${Math.round(timeoutMs / 1000)} s` }), timeoutMs);
    c.on('error', (err: Error & { level?: string }) => done(key ? { key } : { error: err.message }));
    c.on('ready', () => done({ key, error: 'the device let us in without credentials' }));
    c.connect({
      host,
      port,
      username: 'nocflow-doctor',
      readyTimeout: timeoutMs,
      tryKeyboard: false,
      hostVerifier: (k: Buffer) => {
        key = Buffer.from(k);
        // Refuse here: ssh2 then ends the connection without ever authenticating.
        setImmediate(() => done({ key }));
        return false;
      },
      ...(legacy ? { algorithms: { kex: { append: ['diffie-hellman-group14-sha1', 'diffie-hellman-group1-sha1'] }, serverHostKey: { append: ['ssh-rsa', 'ssh-dss'] } } as never } : {}),
    });
  });
}

const fingerprint = (blob: Buffer) => `${keyTypeOfBlob(blob)} SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;

/** Where the engine keeps its data: the service's state directory for the shared configuration, else this user's. */
function engineDataDir(handle: ConfigHandle): string {
  return handle.source === 'system' && !process.env.NOCFLOW_DATA_DIR ? DEFAULT_LAYOUT.stateDir : dataDir();
}

function configFindings(): { handle?: ConfigHandle; findings: Finding[] } {
  const findings: Finding[] = [];
  let handle: ConfigHandle;
  try {
    handle = loadConfig();
  } catch (err) {
    const violations = err instanceof ConfigError && err.violations.length > 0 ? err.violations : [(err as Error).message];
    findings.push({ part: 'config', status: 'fail', text: stripControl((err as Error).message), fix: violations.length > 1 ? `each problem: ${violations.join('; ')}` : undefined });
    return { findings };
  }
  const whose = handle.source === 'system' ? 'the shared configuration' : handle.source === 'user' ? 'your own configuration' : 'NOCFLOW_CONFIG_DIR';
  const exists = fs.existsSync(handle.path);
  findings.push(
    exists
      ? { part: 'config', status: 'ok', text: `${handle.path} (${whose}, ${describeFile(handle.path)})` }
      : { part: 'config', status: 'warn', text: `no configuration file yet (${handle.path}): the defaults apply`, fix: 'nocflow config set engine.nfcapdDir /path/to/nfcapd' },
  );
  if (handle.secrets === 'merged') {
    const st = fs.statSync(handle.secretsFile);
    if ((st.mode & 0o077) !== 0) findings.push({ part: 'config', status: 'warn', text: `${handle.secretsFile} (${describeFile(handle.secretsFile)}) can be read by other users`, fix: `chmod 0600 ${handle.secretsFile}` });
    else findings.push({ part: 'config', status: 'ok', text: `secrets: ${handle.secretsFile} (${describeFile(handle.secretsFile)})` });
  } else if (handle.secrets === 'unreadable') {
    findings.push({ part: 'config', status: 'ok', text: `secrets: ${handle.secretsFile} is there, readable by the engine only (${describeFile(handle.secretsFile) ?? 'not yours'})` });
  }
  const problems = [...handle.problems(), ...checkEngine(handle.config).problems];
  for (const p of problems) findings.push({ part: 'config', status: 'fail', text: stripControl(p) });
  return { handle, findings };
}

function nfcapdFindings(config: NocflowConfig, now: number): Finding[] {
  const dir = config.engine.nfcapdDir;
  if (!dir) return [{ part: 'nfcapd', status: 'fail', text: 'engine.nfcapdDir is not set', fix: 'nocflow config set engine.nfcapdDir /var/cache/nfdump' }];
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return [{ part: 'nfcapd', status: 'fail', text: code === 'ENOENT' ? `${dir} does not exist` : `${dir}: ${code}`, fix: `is nfcapd writing there (nfcapd -w ${dir})? Or set engine.nfcapdDir to where it writes` }];
  }
  if (!st.isDirectory()) return [{ part: 'nfcapd', status: 'fail', text: `${dir} is not a directory` }];
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    return [{ part: 'nfcapd', status: 'fail', text: `${dir} (${describeFile(dir)}) is not readable by you`, fix: `give the operators' group read access: chgrp -R noc ${dir} && chmod -R g+rX ${dir}` }];
  }
  const files = listCompleted(dir);
  const newest = files.at(-1);
  if (!newest) return [{ part: 'nfcapd', status: 'warn', text: `${dir} is readable but holds no completed nfcapd file yet`, fix: 'nfcapd closes its first file one rotation after it starts; is it running?' }];
  const rotation = rotationInterval(files.slice(-9).map((f) => f.time));
  const f = judgeFreshness(newest.time, rotation, now);
  const name = path.relative(dir, newest.path);
  try {
    fs.accessSync(newest.path, fs.constants.R_OK);
  } catch {
    return [{ part: 'nfcapd', status: 'fail', text: `${name} (${describeFile(newest.path)}) is not readable by you` }];
  }
  if (!f.fresh) {
    return [{ part: 'nfcapd', status: 'fail', text: `${dir}: the newest file ${name} closed ${ago(f.ageSeconds!)} ago (files every ${ago(rotation / 1000)}; stale after ${ago(f.limitSeconds)})`, fix: 'is nfcapd still running and receiving flows? (systemctl status nfdump; ps -C nfcapd)' }];
  }
  return [{ part: 'nfcapd', status: 'ok', text: `${dir}: readable, ${files.length} file${files.length === 1 ? '' : 's'}, the newest ${name} closed ${ago(Math.max(0, f.ageSeconds!))} ago (every ${ago(rotation / 1000)})` }];
}

async function readerFindings(config: NocflowConfig): Promise<Finding[]> {
  const out: Finding[] = [];
  const reader = config.engine.reader;
  out.push({ part: 'reader', status: 'ok', text: reader === 'native' ? `native nffile reader (nocflow ${VERSION})` : `nfdump (engine.reader: nfdump, ${config.engine.nfdumpBin})` });
  const r = await execa(config.engine.nfdumpBin, ['-V'], { reject: false, timeout: 10_000, stdin: 'ignore', env: { TZ: 'UTC' } }).catch((e: Error) => ({ failed: true, stdout: '', stderr: e.message, exitCode: undefined }));
  const version = /Version:\s*([^\s]+)/.exec(`${r.stdout}\n${r.stderr}`)?.[1];
  if (version && !r.failed) out.push({ part: 'nfdump', status: 'ok', text: `${config.engine.nfdumpBin}: version ${version}` });
  else {
    out.push({
      part: 'nfdump',
      status: reader === 'nfdump' ? 'fail' : 'warn',
      text: `${config.engine.nfdumpBin} does not run (${String(r.stderr || 'not found').trim().split('\n')[0]})`,
      fix: reader === 'nfdump' ? 'apt-get install nfdump, or set engine.reader native' : 'the native reader does not need it; nfdump-1.6/1.8 files, `hunt` and `ship` do: apt-get install nfdump',
    });
  }
  return out;
}

function storeFindings(handle: ConfigHandle): Finding[] {
  const file = resolveDbPath(handle.config.store.path, engineDataDir(handle));
  const dir = path.dirname(file);
  const serviceOwned = handle.source === 'system' && process.getuid?.() !== 0;
  let exists = false;
  try {
    fs.statSync(file);
    exists = true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' && serviceOwned) return [{ part: 'store', status: 'skip', text: `${file} belongs to the service (its directory is not readable by you); the engine's status below says how it is` }];
    if (code !== 'ENOENT' && code !== 'ENOTDIR') return [{ part: 'store', status: 'fail', text: `${file}: ${code}` }];
  }
  if (serviceOwned && !exists) return [{ part: 'store', status: 'skip', text: `${file}: not there yet or not visible to you; the engine creates it at its first start` }];
  // Writable: the file and its directory (SQLite writes a journal next to it); a missing directory, its nearest ancestor.
  let probe = dir;
  while (!fs.existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  try {
    if (!fs.statSync(probe).isDirectory()) return [{ part: 'store', status: 'fail', text: `${file}: ${probe} is not a directory` }];
    fs.accessSync(probe, fs.constants.W_OK);
    if (exists) fs.accessSync(file, fs.constants.R_OK | fs.constants.W_OK);
  } catch {
    const target = exists ? file : probe;
    return [{ part: 'store', status: serviceOwned ? 'skip' : 'fail', text: `${target} (${describeFile(target) ?? '?'}) is not writable by ${serviceOwned ? 'you (it is the service\'s)' : 'you'}`, fix: serviceOwned ? undefined : `the engine writes the database there: fix the owner or mode, or set store.path` }];
  }
  if (!exists) return [{ part: 'store', status: 'ok', text: `${file}: not created yet (the engine creates it at its first start; ${probe} is writable)` }];
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
      const done = hasTable ? (db.prepare('SELECT id FROM schema_migrations').all() as { id: string }[]).map((r) => r.id) : [];
      const known = new Set(allMigrations.map((m) => m.id));
      const unknown = done.filter((id) => !known.has(id)).sort();
      if (unknown.length > 0) {
        return [{ part: 'store', status: 'fail', text: `${file} was migrated by a newer nocflow (${unknown.join(', ')} unknown to ${VERSION}): this version refuses it`, fix: 'install the newer nocflow again, or restore the database copy taken before the upgrade' }];
      }
      const pending = allMigrations.filter((m) => !done.includes(m.id)).length;
      return [{ part: 'store', status: 'ok', text: `${file}: writable, ${done.length} migration${done.length === 1 ? '' : 's'} applied${pending > 0 ? `, ${pending} to apply at the engine's next start` : ''}` }];
    } finally {
      db.close();
    }
  } catch (err) {
    return [{ part: 'store', status: 'fail', text: `${file}: cannot be read as a database (${(err as Error).message})` }];
  }
}

async function socketFindings(handle: ConfigHandle | undefined, socketPath: string, now: number, timeoutMs: number): Promise<{ findings: Finding[]; status?: EngineStatus }> {
  const out: Finding[] = [];
  const who = me();
  const startHint = handle?.source === 'system' ? 'sudo systemctl start nocflow-engine; why it stopped: journalctl -u nocflow-engine -n 50' : 'nocflow engine start (or sudo systemctl start nocflow-engine on a shared host)';
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socketPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      const dir = path.dirname(socketPath);
      let gid = -1;
      try {
        gid = fs.statSync(dir).gid;
      } catch {
        /* cannot even stat it */
      }
      const listed = gid >= 0 && listedInGroup(who.name, gid);
      out.push({ part: 'socket', status: 'fail', text: `${dir} (${describeFile(dir) ?? '?'}) is closed to you, so the engine socket in it is too` });
      out.push(groupFinding(who.name, gid, listed ? 'relogin' : 'not-in-group'));
      return { findings: out };
    }
    out.push({ part: 'socket', status: 'fail', text: `no engine socket at ${socketPath}: no engine is running there`, fix: startHint });
    return { findings: out };
  }
  if ((st.mode & 0o170000) !== S_IFSOCK) {
    out.push({ part: 'socket', status: 'fail', text: `${socketPath} is not a socket` });
    return { findings: out };
  }
  const access = judgeSocketAccess({ uid: st.uid, gid: st.gid, mode: st.mode }, { ...who, listed: listedInGroup(who.name, st.gid) });
  out.push({ part: 'socket', status: 'ok', text: `${socketPath} (${describeFile(socketPath)})` });
  if (!access.ok) {
    out.push(access.why === 'mode' ? { part: 'group', status: 'fail', text: `the socket's mode ${(st.mode & 0o777).toString(8)} does not let ${who.name} in` } : groupFinding(who.name, st.gid, access.why!));
    return { findings: out };
  }
  out.push({
    part: 'group',
    status: 'ok',
    text: access.via === 'group' ? `${who.name} reaches it through group ${groupName(st.gid)}` : access.via === 'owner' ? `${who.name} owns it (a private engine)` : access.via === 'root' ? 'root reaches every socket' : 'any local user may connect (mode allows others)',
  });
  let status: EngineStatus;
  try {
    status = await Promise.race([
      callEngine('engine.status', undefined, { socketPath }),
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs).unref()),
    ]);
  } catch (err) {
    out.push({ part: 'engine', status: 'fail', text: `the socket is there but no engine answers (${stripControl((err as Error).message)})`, fix: `a crashed engine may have left it: ${startHint}` });
    return { findings: out };
  }
  const lag = status.lagSeconds === null ? 'no files yet' : `${ago(status.lagSeconds)} behind nfcapd`;
  out.push({ part: 'engine', status: 'ok', text: `nocflow ${status.version}, pid ${status.pid}, up ${ago((now - status.startedAt) / 1000)}, ${status.clients - 1} other client${status.clients === 2 ? '' : 's'}, ${status.processed} file${status.processed === 1 ? '' : 's'} processed, ${lag}` });
  if (status.version !== VERSION) out.push({ part: 'engine', status: 'warn', text: `the engine runs nocflow ${status.version}, this command is ${VERSION}`, fix: 'after an upgrade, restart the service: sudo systemctl restart nocflow-engine' });
  if (status.lagSeconds !== null && status.lagSeconds > 900) out.push({ part: 'engine', status: 'warn', text: `the engine is ${ago(status.lagSeconds)} behind nfcapd` });
  for (const e of status.recentErrors.slice(0, 3)) out.push({ part: 'engine', status: 'warn', text: `recent failure: ${stripControl(path.basename(e.path))}: ${stripControl(e.error)}` });
  for (const p of status.reload?.pendingRestart ?? []) out.push({ part: 'engine', status: 'warn', text: `${p.key} was changed but waits for a restart (${p.why})`, fix: 'sudo systemctl restart nocflow-engine' });
  return { findings: out, status };
}

function groupFinding(user: string, gid: number, why: 'not-in-group' | 'relogin'): Finding {
  const g = gid >= 0 ? groupName(gid) : 'noc';
  return why === 'relogin'
    ? { part: 'group', status: 'fail', text: `${user} was added to group ${g} after this login session started`, fix: `log in again (or run: newgrp ${g})` }
    : { part: 'group', status: 'fail', text: `${user} is not in group ${g}, the engine socket's group`, fix: `an admin runs: sudo usermod -aG ${g} ${user}; then log in again` };
}

async function flowspecFindings(config: NocflowConfig, engineUp: boolean): Promise<Finding[]> {
  const fsCfg = config.flowspec;
  if (!fsCfg?.enabled) return [];
  const where = `${fsCfg.apiHost}:${fsCfg.apiPort}`;
  const r = await execa(fsCfg.gobgpBin, ['-u', fsCfg.apiHost, '-p', String(fsCfg.apiPort), 'neighbor', '-j'], { reject: false, timeout: 10_000, stdin: 'ignore' }).catch((e: Error) => ({ failed: true, exitCode: undefined, stdout: '', stderr: e.message }));
  if (r.failed || r.exitCode !== 0) {
    const why = String(r.stderr || r.stdout).trim().split('\n')[0];
    if (fsCfg.mode === 'managed' && !engineUp) return [{ part: 'flowspec', status: 'skip', text: `gobgpd (managed by the engine) is not running, since the engine is not: ${why}` }];
    return [{ part: 'flowspec', status: 'fail', text: `no gobgpd answers at ${where} (${stripControl(why) || 'no output'})`, fix: fsCfg.mode === 'managed' ? 'the engine starts it: see the engine log (journalctl -u nocflow-engine)' : 'start the external gobgpd, or check flowspec.apiHost/apiPort' }];
  }
  const out: Finding[] = [{ part: 'flowspec', status: 'ok', text: `gobgpd answers at ${where} (${fsCfg.mode})` }];
  type Peer = { conf?: { neighbor_address?: string; peer_asn?: number }; state?: { neighbor_address?: string; session_state?: number | string } };
  let peers: Peer[] = [];
  try {
    peers = (JSON.parse(String(r.stdout).trim() || '[]') as Peer[] | null) ?? [];
  } catch {
    out.push({ part: 'flowspec', status: 'warn', text: 'gobgp printed something that is not JSON' });
  }
  const STATES = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];
  if (fsCfg.neighbors.length === 0) out.push({ part: 'flowspec', status: 'warn', text: 'no neighbors configured: rules reach no router', fix: 'set flowspec.neighbors' });
  for (const n of fsCfg.neighbors) {
    const p = peers.find((x) => (x.state?.neighbor_address ?? x.conf?.neighbor_address) === n.address);
    const raw = p?.state?.session_state;
    const state = typeof raw === 'number' ? STATES[raw] ?? String(raw) : String(raw ?? 'not configured in gobgpd').toLowerCase();
    out.push(
      state === 'established'
        ? { part: 'flowspec', status: 'ok', text: `peer ${n.address} (AS${n.as}): established` }
        : { part: 'flowspec', status: 'fail', text: `peer ${n.address} (AS${n.as}): ${state}, not established`, fix: `does the router peer with ${fsCfg.listenAddress} AS${fsCfg.as} (ipv4/ipv6-flowspec), and can it reach TCP ${fsCfg.listenPort}?` },
    );
  }
  return out;
}

async function deviceFindings(handle: ConfigHandle, timeoutMs: number): Promise<Finding[]> {
  const d = handle.config.devices;
  if (d.list.length === 0) return [];
  const file = d.knownHostsFile || path.join(engineDataDir(handle), 'known_hosts');
  let entries: ReturnType<typeof parseKnownHosts> | undefined;
  let unreadable: string | undefined;
  try {
    entries = parseKnownHosts(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') entries = [];
    else unreadable = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
  }
  const each = await Promise.all(
    d.list.map(async (dev): Promise<Finding> => {
      const port = dev.port ?? 22;
      const at = `${dev.name} (${dev.host}:${port})`;
      const tcp = await tcpProblem(dev.host, port, Math.min(timeoutMs, d.connectTimeoutMs));
      if (tcp) return { part: 'device', status: 'fail', text: `${at}: ${tcp}`, fix: 'is the device up, and may this host reach its SSH port?' };
      const hk = await presentedHostKey(dev.host, port, Math.min(timeoutMs, d.connectTimeoutMs), dev.legacyAlgorithms);
      if (!hk.key) return { part: 'device', status: 'fail', text: `${at}: reachable, but the SSH handshake failed (${stripControl(hk.error ?? '?')})` };
      const fp = fingerprint(hk.key);
      if (!entries) return { part: 'device', status: 'warn', text: `${at}: reachable, host key ${fp}; ${file} is not readable by you (${unreadable}) to compare`, fix: 'run doctor as root (sudo nocflow doctor) to compare host keys' };
      const verdict = checkHostKey(entries, dev.host, port, hk.key);
      if (verdict === 'match') return { part: 'device', status: 'ok', text: `${at}: reachable, host key known (${fp})` };
      if (verdict === 'unknown') {
        return d.trustOnFirstUse
          ? { part: 'device', status: 'warn', text: `${at}: host key ${fp} not in ${file}; devices.trustOnFirstUse records it at the next collection` }
          : { part: 'device', status: 'fail', text: `${at}: unknown host key ${fp} (not in ${file}): the engine refuses this device`, fix: `compare the fingerprint with the device's own (show ssh server / show crypto key), then add it to ${file}` };
      }
      return { part: 'device', status: 'fail', text: `${at}: host key ${verdict.toUpperCase()} (${fp} is not the one in ${file}): the engine refuses this device`, fix: 'find out why the key changed before trusting the new one' };
    }),
  );
  return each;
}

async function elasticsearchFindings(handle: ConfigHandle, timeoutMs: number): Promise<Finding[]> {
  const es = handle.config.elasticsearch;
  if (!es.node) return [];
  let url: URL;
  try {
    url = new URL(es.node);
  } catch {
    return [{ part: 'elasticsearch', status: 'fail', text: `elasticsearch.node "${stripControl(es.node)}" is not a URL` }];
  }
  const headers: Record<string, string> = {};
  if (es.apiKey) headers.authorization = `ApiKey ${es.apiKey}`;
  else if (es.username) headers.authorization = `Basic ${Buffer.from(`${es.username}:${es.password}`).toString('base64')}`;
  const shown = `${url.protocol}//${url.host}`;
  try {
    const res = await fetch(new URL('/', url), { headers, signal: AbortSignal.timeout(timeoutMs) });
    if (res.status === 401 || res.status === 403) {
      return handle.secrets === 'unreadable'
        ? [{ part: 'elasticsearch', status: 'ok', text: `${shown} answers (HTTP ${res.status} to you: its credentials are in secrets.json, which only the engine reads)` }]
        : [{ part: 'elasticsearch', status: 'fail', text: `${shown} refuses the configured credentials (HTTP ${res.status})`, fix: 'check elasticsearch.username/password or apiKey' }];
    }
    if (!res.ok) return [{ part: 'elasticsearch', status: 'fail', text: `${shown} answers HTTP ${res.status}` }];
    const body = (await res.json().catch(() => ({}))) as { cluster_name?: string; version?: { number?: string } };
    return [{ part: 'elasticsearch', status: 'ok', text: `${shown}: cluster ${stripControl(String(body.cluster_name ?? '?'))}, Elasticsearch ${stripControl(String(body.version?.number ?? '?'))}` }];
  } catch (err) {
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
    const why = cause?.code === 'ECONNREFUSED' ? 'connection refused' : (err as Error).name === 'TimeoutError' ? `no answer within ${Math.round(timeoutMs / 1000)} s` : cause?.code ?? (err as Error).message;
    return [{ part: 'elasticsearch', status: 'fail', text: `${shown}: ${why}`, fix: 'meanwhile the engine spools its results (engine status shows the spool) and replays them when ES is back' }];
  }
}

/** The alert channels (the alerts area's `alerts.*`): reachability only, nothing is sent. */
async function alertFindings(config: NocflowConfig, timeoutMs: number): Promise<Finding[]> {
  const a = config.alerts as
    | { enabled?: boolean; email?: { host?: string; port?: number }; syslog?: { host?: string; port?: number; protocol?: string }; webhook?: { url?: string } }
    | undefined;
  if (!a || a.enabled === false) return [];
  const out: Finding[] = [];
  if (a.email?.host) {
    const port = a.email.port ?? 587;
    const why = await tcpProblem(a.email.host, port, timeoutMs);
    out.push(why ? { part: 'alerts', status: 'fail', text: `mail: ${a.email.host}:${port}: ${why}`, fix: 'alerts wait in the outbox and are retried' } : { part: 'alerts', status: 'ok', text: `mail: ${a.email.host}:${port} accepts connections` });
  }
  if (a.syslog?.host) {
    const port = a.syslog.port ?? 514;
    if (a.syslog.protocol === 'tcp') {
      const why = await tcpProblem(a.syslog.host, port, timeoutMs);
      out.push(why ? { part: 'alerts', status: 'fail', text: `syslog: ${a.syslog.host}:${port}/tcp: ${why}` } : { part: 'alerts', status: 'ok', text: `syslog: ${a.syslog.host}:${port}/tcp accepts connections` });
    } else {
      const resolved = await dns.lookup(a.syslog.host).then((r) => r.address, () => undefined);
      out.push(resolved ? { part: 'alerts', status: 'ok', text: `syslog: ${a.syslog.host} resolves (${resolved}); UDP cannot be checked without sending a message` } : { part: 'alerts', status: 'fail', text: `syslog: ${a.syslog.host} does not resolve` });
    }
  }
  if (a.webhook?.url) {
    let u: URL | undefined;
    try {
      u = new URL(a.webhook.url);
    } catch {
      out.push({ part: 'alerts', status: 'fail', text: 'webhook: alerts.webhook.url is not a URL' });
    }
    if (u) {
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      const host = u.hostname.replace(/^\[|\]$/g, '');
      const why = await tcpProblem(host, port, timeoutMs);
      // The URL's path often holds a token: only the host is shown.
      out.push(why ? { part: 'alerts', status: 'fail', text: `webhook: ${host}:${port}: ${why}` } : { part: 'alerts', status: 'ok', text: `webhook: ${host}:${port} accepts connections (nothing was posted)` });
    }
  }
  return out;
}

/** Run every check. */
export async function runDoctor(opts: DoctorOptions = {}): Promise<DoctorReport> {
  const now = (opts.now ?? Date.now)();
  const timeoutMs = opts.timeoutMs ?? 5000;
  const { handle, findings } = configFindings();
  if (!handle) {
    const sock = await socketFindings(undefined, opts.socketPath ?? process.env.NOCFLOW_SOCKET ?? defaultSocketPath(), now, timeoutMs);
    return report([...findings, ...sock.findings]);
  }
  const config = handle.config;
  findings.push(...nfcapdFindings(config, now));
  findings.push(...(await readerFindings(config)));
  findings.push(...storeFindings(handle));
  const sock = await socketFindings(handle, opts.socketPath ?? process.env.NOCFLOW_SOCKET ?? defaultSocketPath(), now, timeoutMs);
  findings.push(...sock.findings);
  findings.push(...(await flowspecFindings(config, sock.status !== undefined)));
  findings.push(...(await deviceFindings(handle, timeoutMs)));
  findings.push(...(await elasticsearchFindings(handle, timeoutMs)));
  findings.push(...(await alertFindings(config, timeoutMs)));
  return report(findings);
}

