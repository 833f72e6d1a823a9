/**
 * A progress display for long reads (files read, flows/s): a bar redrawn in place on a terminal, one plain line per
 * step otherwise (logs, pipes). The line text is pure; the writer only decides how to put it out.
 */

/** One step of progress. */
export interface ProgressStep {
  label: string;
  done: number;
  total: number;
  /** What the step was about (a file name). */
  item: string;
  flows: number;
  elapsedMs: number;
  /** Unit of `done`/`total` ("files", "signatures"). */
  unit?: string;
}

/** "1.2 M" style counts. */
export function compact(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} k`;
  return String(Math.round(n));
}

/** The progress text: with a bar of `barCells` cells on a terminal, plain otherwise. Pure. */
export function progressText(p: ProgressStep, opts: { bar: boolean; width?: number }): string {
  const rate = p.elapsedMs > 0 ? (p.flows * 1000) / p.elapsedMs : 0;
  const facts = `${p.done}/${p.total} ${p.unit ?? 'files'}  ${compact(p.flows)} flows  ${compact(rate)} flows/s`;
  if (!opts.bar) return `${p.label}: ${facts}  ${p.item}`;
  const width = Math.max(40, opts.width ?? 80);
  const cells = Math.max(10, Math.min(30, width - facts.length - p.label.length - 6));
  const full = p.total > 0 ? Math.round((cells * p.done) / p.total) : 0;
  const line = `${p.label} [${'#'.repeat(full)}${'-'.repeat(cells - full)}] ${facts}`;
  return line.length > width - 1 ? line.slice(0, width - 1) : line;
}

/** A progress writer on a stream: a redrawn bar when it is a terminal, plain lines otherwise. */
export function createProgress(stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number }, opts: { enabled?: boolean } = {}): { update(p: ProgressStep): void; end(): void } {
  const tty = stream.isTTY === true && !process.env.CI;
  let drawn = false;
  return {
    update(p) {
      if (opts.enabled === false) return;
      if (tty) {
        stream.write(`\r${progressText(p, { bar: true, width: stream.columns ?? 80 }).padEnd((stream.columns ?? 80) - 1)}`);
        drawn = true;
      } else stream.write(`${progressText(p, { bar: false })}\n`);
    },
    end() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
