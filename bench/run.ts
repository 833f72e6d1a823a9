/**
 * `npm run bench`: runs every benchmark section in one process and prints ratios against nfdump measured in the
 * same run. `npm run bench -- analyze tui` runs only the named sections.
 * Each section lives in bench/<name>.ts and exports `run(): Promise<void>` that prints its own lines.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SECTIONS = ['analyze', 'investigate', 'tui', 'flowspec', 'ship', 'hunt', 'ioc', 'floor'] as const;

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const name of SECTIONS) {
    if (wanted.length > 0 && !wanted.includes(name)) continue;
    const file = path.join(here, `${name}.js`);
    if (!existsSync(file)) {
      console.log(`## ${name}: not built`);
      continue;
    }
    console.log(`\n## ${name}`);
    const mod = (await import(file)) as { run: () => Promise<void> };
    await mod.run();
  }
}

main().catch((err) => {
  console.error(`bench failed: ${err?.stack ?? err}`);
  process.exit(1);
});
