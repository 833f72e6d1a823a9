/** The CLI's boundary error: commands throw it to end with a one-line reason and an exit code. */

/** Exit code carried by an error that should end the CLI with a one-line reason. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
  }
}
