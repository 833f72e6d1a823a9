/**
 * The benchmark's baseline for the hunt: read nfcapd files once through the default FlowSource (`engine.reader`) and
 * count the flows — what any one-pass consumer of a day pays. Usage: node dist/bench/read-files.js FILE...
 */
import { loadConfig } from '../src/config/config.js';
import { flowSourceFrom } from '../src/ingest/flow-source.js';

async function main(): Promise<void> {
  const files = process.argv.slice(2);
  const source = flowSourceFrom(loadConfig().config.engine);
  let flows = 0;
  for (const f of files) for await (const b of source.read([f])) flows += b.size;
  process.stdout.write(`${JSON.stringify({ files: files.length, flows })}\n`);
}

main().catch((err) => {
  console.error(`read-files failed: ${err?.stack ?? err}`);
  process.exit(1);
});
