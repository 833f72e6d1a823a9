#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (run `npm run build` first).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { process.stderr.write(`nocflow: ${err?.message ?? err}\n`); process.exitCode = 1; },
);
