// Structured JSON logging on stdout. Redaction is a second line of defence:
// code must never log raw connection strings, but if a field with a sensitive
// name slips through, pino replaces it.
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

const REDACTED_PATHS = [
  "databaseUrl",
  "redisUrl",
  "connectionString",
  "password",
  "*.databaseUrl",
  "*.redisUrl",
  "*.connectionString",
  "*.password",
  "req.headers.authorization",
  "req.headers.cookie",
];

export function createLogger(level: LogLevel, name = "clickvote"): Logger {
  // Synchronous writes keep log order intact and lose nothing on process.exit().
  const destination = pino.destination({ dest: 1, sync: true });
  return pino(
    {
      name,
      level,
      redact: { paths: REDACTED_PATHS, censor: "[REDACTED]" },
      // ISO timestamps are easier to correlate across pods than epoch millis.
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
      },
    },
    destination,
  );
}
