/** `nocflow where <ip|mac> [--history] [--json]`: where an address was seen in the ARP and MAC tables. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/config.js';
import { callEngine, EngineError } from '../../daemon/client.js';
import { DeviceStore } from '../../devices/store.js';
import { formatWhere, parseWhereQuery, whereLookup, WhereQueryError, type WhereAnswer } from '../../devices/where.js';
import { openDb, resolveDbPath } from '../../store/db.js';
import { dataDir } from '../../util/paths.js';
import { CliError } from '../errors.js';
import { parseLang } from '../../i18n/labels.js';

/** Register `nocflow where`. */
export function registerWhere(program: Command): void {
  program
    .command('where <address>')
    .description('current (or with --history, every past) MAC, device, interface/port, VLAN and state of an IP or MAC, with first and last seen')
    .option('--history', 'every binding ever seen, newest first')
    .option('--json', 'print one JSON document')
    .action(async (address: string, o: { history?: boolean; json?: boolean }, cmd: Command) => {
      try {
        parseWhereQuery(address);
      } catch (err) {
        if (err instanceof WhereQueryError) throw new CliError(err.message, 2);
        throw err;
      }
      let answer: WhereAnswer | undefined;
      try {
        answer = await callEngine('devices.where', { query: address, history: !!o.history });
      } catch (err) {
        if (!(err instanceof EngineError) || !['NO_ENGINE', 'NO_METHOD'].includes(err.code)) throw new CliError(`engine: ${(err as Error).message}`, 1, { cause: err });
      }
      if (!answer) {
        const { config } = loadConfig();
        const db = openDb(resolveDbPath(config.store.path, dataDir()));
        try {
          answer = whereLookup(new DeviceStore(db), address, { history: !!o.history, allowMacs: config.devices.allowMacs });
        } finally {
          db.close();
        }
      }
      process.stdout.write(o.json ? `${JSON.stringify(answer)}\n` : formatWhere(answer, parseLang(cmd.optsWithGlobals().lang)));
    });
}
