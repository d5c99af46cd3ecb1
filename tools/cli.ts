// Command-line plumbing shared by the commands in release/, ci/, tools/ and e2e/: node:util's
// parseArgs with a usage message, and one way to stop with a message.
import { parseArgs, ParseArgsConfig } from "node:util";

/** Prints the message to stderr and exits (2: usage, 1: the command failed). */
export function fail(message: string, code = 2): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

/** node:util parseArgs (strict); a bad command line exits 2 with the error and the usage. */
export function parseCommand<T extends ParseArgsConfig>(config: T, usage: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ strict: true, ...config });
  } catch (err) {
    return fail(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
  }
}
