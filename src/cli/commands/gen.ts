/** `nocflow gen <scenario>`: export a scenario as IPFIX / NetFlow v9 to a collector on loopback. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { FlowExporter, generateScenario, isLoopback, scaleChunks, SCENARIOS, writeFlowsFile, writeHuntDay, type ScenarioName } from '../../gen/index.js';
import { streamDemo } from '../../gen/demo.js';
import type { ExportProtocol } from '../../gen/ipfix.js';
import { CliError } from '../errors.js';

interface GenOpts {
  port?: string;
  host: string;
  protocol: string;
  seed: string;
  scale: string;
  truth?: string;
  baseTime?: string;
  rate: string;
  count: string;
  file?: string;
  dir?: string;
  variant: string;
  day?: string;
  dayIndex: string;
}

export function registerGen(program: Command): void {
  program
    .command('gen <scenario>')
    .description(`export generated traffic to an nfcapd on loopback; scenarios: ${SCENARIOS.join(', ')}, scale, demo`)
    .option('--port <port>', 'UDP port of the collector (required unless --file)')
    .option('--host <host>', 'collector address (loopback only)', '127.0.0.1')
    .option('--protocol <p>', 'ipfix or v9', 'ipfix')
    .option('--seed <n>', 'random seed (same seed, same flows)', '1')
    .option('--scale <x>', 'volume factor', '1')
    .option('--truth <file>', 'write the ground truth JSON here')
    .option('--base-time <iso>', 'window start (default: now rounded down to 5 minutes)')
    .option('--rate <flows/s>', 'send rate ceiling', '300000')
    .option('--count <n>', 'flows for the scale scenario', '10000000')
    .option('--file <out>', 'run a private nfcapd and write one closed nfcapd file here instead of sending to --port')
    .option('--dir <dir>', 'hunt-day / ioc-day: write the day\'s nfcapd files here (with hunt-day.truth.json / ioc-list.txt)')
    .option('--variant <1|2>', 'hunt-day: day 1 or day 2 (recurring and new members)', '1')
    .option('--day <YYYY-MM-DD>', 'ioc-day: the (local) day (default yesterday)')
    .option('--day-index <n>', 'ioc-day: which day of a series (the family changes relay on day 3)', '0')
    .addHelpText('after', `
Scenarios (ground truth: planted attackers/victims with acceptable types, and benign IPs):
  background       client/server conversations both ways
  benign-servers   a DNS resolver (3000 clients) and a web server (2000 clients): must not be reported
  ssh-attacker     one IP to ~8000 IPs on TCP/22 with payload: many-peers
  syn-scan         one IP to ~20000 IPs on TCP/2375, 1 packet of 40 bytes: scan, signature 2375-1-40
  spoofed-ddos     ~15000 spoofed sources to one victim TCP/80, 80% through 127.0.0.2 interface 7
  heavy-upload     one IP sends ~8 GB to 3 peers: egress-high
  botnet           signature 1433-3-152: one loud member (scan) and 5 quiet ones (found by 'nocflow hunt')
  cc-beacon        campus 10.20.0.0/16: an inside host checks in every 10 s
  campus           campus 10.20.0.0/16: unused-address prober, sweeper, tiny packets, TCP flood, P2P host
  mixed            background + benign servers + every backbone attack above in one window
  scale            --count flows between millions of distinct IPs (benchmark)
  hunt-day         --dir DIR: six hourly files of one UTC day (--base-time, default 2026-11-22) with two botnets,
                   their quiet members and decoys, for 'nocflow hunt --auto DIR'
  ioc-day          a day of 4 files and its IoC list for 'nocflow ioc run' (--dir, --day, --day-index): a relay
                   inside hosts check in with, an APT target, a mass and a wide scanner, a DoS IoC, a check-in IoC
  demo             endless changing mix, timestamps now (Ctrl-C stops)`)
    .action(async (scenario: string, o: GenOpts) => {
      const protocol = o.protocol as ExportProtocol;
      if (protocol !== 'ipfix' && protocol !== 'v9') throw new CliError(`--protocol must be ipfix or v9, got ${o.protocol}`, 2);
      if (!isLoopback(o.host)) throw new CliError(`--host ${o.host}: only loopback collectors are allowed`, 2);
      const seed = Number(o.seed);
      const scale = Number(o.scale);
      if (!Number.isFinite(seed) || !(scale > 0)) throw new CliError('--seed must be a number and --scale positive', 2);
      const base = o.baseTime ? Date.parse(o.baseTime) : Math.floor(Date.now() / 300_000) * 300_000;
      if (!Number.isFinite(base)) throw new CliError(`--base-time: cannot parse ${o.baseTime}`, 2);
      if (scenario === 'hunt-day') {
        if (!o.dir) throw new CliError('hunt-day needs --dir DIR', 2);
        const day = o.baseTime ? Math.floor(Date.parse(o.baseTime) / 86_400_000) * 86_400_000 : Date.UTC(2026, 10, 22);
        if (!Number.isFinite(day)) throw new CliError(`--base-time: cannot parse ${o.baseTime}`, 2);
        if (o.variant !== '1' && o.variant !== '2') throw new CliError(`--variant must be 1 or 2, got ${o.variant}`, 2);
        fs.mkdirSync(o.dir, { recursive: true });
        const r = await writeHuntDay(o.dir, { day, variant: Number(o.variant) as 1 | 2, seed });
        process.stdout.write(`${r.files.join('\n')}\n`);
        return;
      }
      if (scenario === 'ioc-day') {
        if (!o.dir) throw new CliError('ioc-day needs --dir', 2);
        const { dayRange, isDay, localDay, addDays } = await import('../../ioc/days.js');
        const day = o.day ?? addDays(localDay(Date.now()), -1);
        if (!isDay(day)) throw new CliError(`--day must be YYYY-MM-DD, got "${day}"`, 2);
        const { writeIocDay } = await import('../../gen/index.js');
        const r = await writeIocDay(o.dir, { dayStart: dayRange(day).from, dayIndex: Number(o.dayIndex) || 0, seed });
        process.stdout.write(`${[...r.files, r.listFile].join('\n')}\n`);
        return;
      }
      if (scenario === 'demo') {
        if (!o.port) throw new CliError('demo needs --port', 2);
        const ac = new AbortController();
        // `on`: conf's when-exit re-sends the signal after its own handler runs (abort is idempotent).
        process.on('SIGINT', () => ac.abort());
        process.on('SIGTERM', () => ac.abort());
        await streamDemo({ port: Number(o.port), host: o.host, signal: ac.signal, seed, onMinute: (m, n) => process.stderr.write(`demo minute ${m}: ${n} flows\n`) });
        return;
      }
      let chunks: Iterable<import('../../engine/types.js').FlowRecord[]>;
      if (scenario === 'scale') {
        chunks = scaleChunks(Number(o.count), { seed, base });
      } else if ((SCENARIOS as readonly string[]).includes(scenario)) {
        const g = generateScenario(scenario as ScenarioName, { seed, scale, base });
        if (o.truth) {
          fs.mkdirSync(path.dirname(path.resolve(o.truth)), { recursive: true });
          fs.writeFileSync(o.truth, JSON.stringify(g.truth, null, 2));
        }
        const c: import('../../engine/types.js').FlowRecord[][] = [];
        for (let i = 0; i < g.flows.length; i += 20_000) c.push(g.flows.slice(i, i + 20_000));
        chunks = c;
      } else {
        throw new CliError(`unknown scenario "${scenario}" (try: ${SCENARIOS.join(', ')}, scale, demo)`, 2);
      }
      if (o.file) {
        await writeFlowsFile(chunks, o.file, { protocol, rate: Number(o.rate) });
        process.stdout.write(`${o.file}\n`);
        return;
      }
      if (!o.port) throw new CliError('--port (or --file) is required', 2);
      const ex = new FlowExporter({ host: o.host, port: Number(o.port), protocol, rate: Number(o.rate) });
      try {
        for (const c of chunks) await ex.send(c);
      } finally {
        ex.close();
      }
      process.stderr.write(`sent ${ex.flowsSent} flows to ${o.host}:${o.port}\n`);
    });
}
