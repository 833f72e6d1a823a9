/** `nocflow doctor`: check, in plain words, what an operator needs (src/doctor/checks.ts); exit 1 when anything failed. */
import type { Command } from 'commander';
import { runDoctor } from '../../doctor/checks.js';
import { formatReport } from '../../doctor/report.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the configuration, nfcapd files, reader, store, engine socket and your group, gobgpd, devices, Elasticsearch and alert channels; exit 1 when something failed')
    .option('--json', 'the findings as JSON')
    .option('--timeout <s>', 'seconds each network check may take', '5')
    .action(async (o: { json?: boolean; timeout: string }) => {
      const r = await runDoctor({ timeoutMs: Math.max(0.2, Number(o.timeout) || 5) * 1000 });
      process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${formatReport(r)}\n`);
      if (r.failed > 0) process.exitCode = 1;
    });
}
