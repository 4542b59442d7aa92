/** Raised for bad input or a failed run: the CLI prints its message as one line on stderr and exits 1. */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Progress lines go to stderr so stdout stays clean for what a command prints as its result. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Hides the password of a connection URL for display. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}
