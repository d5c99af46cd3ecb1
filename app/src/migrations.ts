// Applies numbered SQL files (NNN_description.sql) in order. A session-level
// advisory lock serialises concurrent runners (e.g. two Jobs or init containers):
// the second waits, then finds everything applied and does nothing.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import type { Logger } from './logger.js';

/** Arbitrary constant identifying "clickvote schema migrations" among advisory locks. */
export const MIGRATION_LOCK_KEY = 727_115_001;

/** migrations/ sits next to dist/ both in the repository and in the container image. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const MIGRATION_FILE_PATTERN = /^(\d+)_([A-Za-z0-9_-]+)\.sql$/;

export interface MigrationFile {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationResult {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export async function readMigrationFiles(directory: string): Promise<MigrationFile[]> {
  let entries: string[];
  try {
    entries = await readdir(directory);
  } catch (error) {
    throw new MigrationError(`cannot read migrations directory ${directory}`, { cause: error });
  }
  const files: MigrationFile[] = [];
  const seenVersions = new Map<number, string>();
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.sql')) continue;
    const match = MIGRATION_FILE_PATTERN.exec(entry);
    if (match === null) throw new MigrationError(`migration file ${entry} does not match NNN_name.sql`);
    const version = Number(match[1]);
    const clash = seenVersions.get(version);
    if (clash !== undefined) throw new MigrationError(`migrations ${clash} and ${entry} share version ${version}`);
    seenVersions.set(version, entry);
    const sql = await readFile(path.join(directory, entry), 'utf8');
    files.push({ version, name: entry, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return files.sort((a, b) => a.version - b.version);
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runMigrations(
  databaseUrl: string,
  logger: Logger,
  directory: string = DEFAULT_MIGRATIONS_DIR,
): Promise<MigrationResult> {
  const files = await readMigrationFiles(directory);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'clickvote-migrate' });
  try {
    await client.connect();
  } catch (error) {
    throw new MigrationError(`cannot connect to PostgreSQL: ${describe(error)}`, { cause: error });
  }
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version    integer PRIMARY KEY,
        name       text NOT NULL,
        checksum   text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      )`);
      const appliedRows = await client.query<AppliedRow>('SELECT version, name, checksum FROM schema_migrations');
      const appliedByVersion = new Map(appliedRows.rows.map((row) => [row.version, row]));
      const applied: string[] = [];
      for (const file of files) {
        const existing = appliedByVersion.get(file.version);
        if (existing !== undefined) {
          // An edited, already-applied migration would silently diverge between environments.
          if (existing.checksum !== file.checksum) {
            throw new MigrationError(`migration ${file.name} was changed after it was applied (checksum mismatch)`);
          }
          continue;
        }
        logger.info({ migration: file.name }, 'applying migration');
        try {
          await client.query('BEGIN');
          await client.query(file.sql);
          await client.query(
            'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
            [file.version, file.name, file.checksum],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw new MigrationError(`migration ${file.name} failed and was rolled back: ${describe(error)}`, { cause: error });
        }
        applied.push(file.name);
      }
      return { applied, alreadyApplied: files.length - applied.length };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    }
  } catch (error) {
    if (error instanceof MigrationError) throw error;
    throw new MigrationError(`migration run failed: ${describe(error)}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}
