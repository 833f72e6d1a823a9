/** Benchmark helpers: wall time and peak RSS of a child process, medians, ratio lines. */
import { execa } from 'execa';

/** Result of one measured command. */
export interface Measured {
  seconds: number;
  /** Peak resident set of the measured process in MiB (GNU time's %M). */
  peakRssMiB: number;
  stdout: string;
  /** The command's own stderr (GNU time's line removed), when asked for. */
  stderr?: string;
}

/**
 * Run `cmd args` under /usr/bin/time (GNU time, -f "%e %M") with stdout discarded unless `keepStdout`, and return
 * its wall time and peak RSS. Uses argument arrays; TZ=UTC for nfdump (FIELD-NOTES).
 */
export async function measure(cmd: string, args: string[], opts: { keepStdout?: boolean; keepStderr?: boolean; env?: Record<string, string> } = {}): Promise<Measured> {
  const r = await execa('/usr/bin/time', ['-f', '__TIME__ %e %M', cmd, ...args], {
    env: { TZ: 'UTC', ...opts.env },
    stdout: opts.keepStdout ? 'pipe' : 'ignore',
    stderr: 'pipe',
    maxBuffer: 1 << 30,
    reject: false,
  });
  const m = /__TIME__ ([\d.]+) (\d+)/.exec(String(r.stderr));
  if (!m || r.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.exitCode}): ${String(r.stderr).slice(-500)}`);
  return {
    seconds: Number(m[1]), peakRssMiB: Number(m[2]) / 1024, stdout: opts.keepStdout ? String(r.stdout) : '',
    ...(opts.keepStderr ? { stderr: String(r.stderr).replace(/__TIME__ [\d.]+ \d+\n?/, '') } : {}),
  };
}

/** Median of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Percentile (0..100) of numbers, nearest rank. */
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** Print a table row with aligned columns. */
export function row(cols: (string | number)[], widths: number[]): string {
  return cols.map((c, i) => (typeof c === 'number' ? c.toFixed(2).padStart(widths[i]) : String(c).padEnd(widths[i]))).join('  ');
}
