// Backups and the password sync against a real PostgreSQL: the CronJob's BACKUP_SCRIPT dumps
// rows and keeps the newest N, RESTORE_COMMAND brings a dump back into an empty database, and
// PASSWORD_SYNC_SCRIPT re-keys an existing (stopped) data directory. Each test starts its own
// throwaway cluster (initdb in a temp dir, a free loopback port) and stops it afterwards.
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKUP_SCRIPT, RESTORE_COMMAND } from "../components/backup";
import { PASSWORD_SYNC_SCRIPT } from "../components/postgres";

/** The newest PostgreSQL server binaries installed (Debian layout), if any. */
function findPgBin(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!fs.existsSync(root)) return undefined;
  const versions = fs
    .readdirSync(root)
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  const needed = ["initdb", "pg_ctl", "postgres", "pg_dump", "pg_restore", "psql"];
  return versions.map((v) => path.join(root, v, "bin")).find((dir) => needed.every((b) => fs.existsSync(path.join(dir, b))));
}

const PG_BIN = findPgBin();
const IS_ROOT = process.getuid?.() === 0;
/** PostgreSQL refuses to run as root: as root, the server runs as the postgres user. */
const SERVER_USER = IS_ROOT ? "postgres" : undefined;
const SKIP_REASON = PG_BIN
  ? IS_ROOT && spawnSync("id", ["-u", "postgres"]).status !== 0
    ? "running as root but there is no postgres user to run the server as"
    : undefined
  : "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)";

const SUPERUSER = "clickvote";
const SUPERUSER_PASSWORD = "initial0password";

function sh(command: string, env: Record<string, string | undefined>, asServerUser = false): SpawnSyncReturns<string> {
  const fullEnv = { ...process.env, ...env, PATH: `${PG_BIN}:${process.env.PATH}` } as NodeJS.ProcessEnv;
  if (asServerUser && SERVER_USER) {
    const assignments = Object.entries({ ...env, PATH: `${PG_BIN}:/usr/bin:/bin` })
      .filter((e): e is [string, string] => e[1] !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    return spawnSync("runuser", ["-u", SERVER_USER, "--", "env", "-i", ...assignments, "sh", "-c", command], { encoding: "utf8" });
  }
  return spawnSync("sh", ["-c", command], { env: fullEnv, encoding: "utf8" });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0) throw new Error(`${what} failed (${result.status}): ${result.stderr}${result.stdout}`);
  return result.stdout;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway cluster in a temp dir, its superuser and password set at initdb like the official image does. */
class Cluster {
  readonly dir: string;
  readonly data: string;
  port = 0;
  private running = false;

  constructor(prefix: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.data = path.join(this.dir, "pgdata");
    if (SERVER_USER) ok(spawnSync("chown", ["-R", SERVER_USER, this.dir], { encoding: "utf8" }), "chown");
  }

  init(user: string, password: string): void {
    const pwfile = path.join(this.dir, "pwfile");
    fs.writeFileSync(pwfile, password + "\n", { mode: 0o600 });
    if (SERVER_USER) ok(spawnSync("chown", [SERVER_USER, pwfile], { encoding: "utf8" }), "chown");
    ok(sh(`initdb -D "${this.data}" -U "${user}" --pwfile="${pwfile}" --auth=scram-sha-256 --encoding=UTF8 --no-instructions`, {}, true), "initdb");
    fs.rmSync(pwfile);
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`;
    ok(sh(`pg_ctl -D "${this.data}" -o "${options}" -l "${this.dir}/server.log" -w -t 60 start`, {}, true), "pg_ctl start");
    this.running = true;
  }

  stop(): void {
    if (!this.running) return;
    sh(`pg_ctl -D "${this.data}" -m fast -w stop`, {}, true);
    this.running = false;
  }

  /** libpq's environment for a user of this cluster over TCP. */
  env(user: string, password: string, database: string): Record<string, string> {
    return { PGHOST: "127.0.0.1", PGPORT: String(this.port), PGUSER: user, PGPASSWORD: password, PGDATABASE: database, PGCONNECT_TIMEOUT: "5" };
  }

  psql(env: Record<string, string>, sql: string): SpawnSyncReturns<string> {
    const file = path.join(this.dir, `q-${Date.now()}-${Math.random().toString(36).slice(2)}.sql`);
    fs.writeFileSync(file, sql);
    try {
      return sh(`psql -X -q -A -t -v ON_ERROR_STOP=1 -f "${file}"`, env);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  remove(): void {
    this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(SKIP_REASON !== undefined)(`backups with a real PostgreSQL${SKIP_REASON ? ` (SKIPPED: ${SKIP_REASON})` : ""}`, () => {
  const KEEP = 3;
  let cluster: Cluster;
  let backupDir: string;
  let app: Record<string, string>;
  const dumps = () =>
    fs
      .readdirSync(backupDir)
      .filter((f) => /^clickvote-\d{8}T\d{6}Z\.dump$/.test(f))
      .sort();
  const backup = (extra: Record<string, string> = {}) => sh(BACKUP_SCRIPT, { ...app, BACKUP_DIR: backupDir, BACKUP_KEEP: String(KEEP), ...extra });
  const rows = (env: Record<string, string>) => ok(cluster.psql(env, "SELECT id, choice, voter FROM votes ORDER BY id;"), "select rows");

  beforeAll(async () => {
    cluster = new Cluster("clickvote-backup-");
    cluster.init(SUPERUSER, SUPERUSER_PASSWORD);
    await cluster.start();
    const admin = cluster.env(SUPERUSER, SUPERUSER_PASSWORD, "postgres");
    ok(cluster.psql(admin, "CREATE ROLE app LOGIN PASSWORD 'apppw'; CREATE DATABASE clickvote OWNER app; CREATE DATABASE restored OWNER app;"), "create roles");
    app = cluster.env("app", "apppw", "clickvote");
    ok(
      cluster.psql(
        app,
        "CREATE TABLE votes (id serial PRIMARY KEY, choice text NOT NULL, voter text, cast_at timestamptz NOT NULL DEFAULT now());\n" +
          "CREATE INDEX votes_choice ON votes (choice);\n" +
          "INSERT INTO votes (choice, voter) SELECT CASE WHEN g % 3 = 0 THEN 'tabs' ELSE 'spaces' END, 'voter-' || g FROM generate_series(1, 250) g;\n" +
          "INSERT INTO votes (choice, voter) VALUES ('it''s \"quoted\"', NULL);",
      ),
      "seed",
    );
    backupDir = path.join(cluster.dir, "backups");
    fs.mkdirSync(backupDir);
  }, 120_000);

  afterAll(() => cluster?.remove());

  it("writes a complete custom-format dump under a timestamped name", () => {
    const result = backup();
    expect(result.status, result.stderr).toBe(0);
    const written = /backup written: (clickvote-\d{8}T\d{6}Z\.dump)/.exec(result.stdout)?.[1];
    expect(written).toBeDefined();
    expect(dumps()).toEqual([written]);
    expect(
      fs
        .readFileSync(path.join(backupDir, written as string))
        .subarray(0, 5)
        .toString(),
    ).toBe("PGDMP");
    expect(fs.readdirSync(backupDir).filter((f) => f.endsWith(".partial"))).toEqual([]);
  });

  it(`keeps only the newest BACKUP_KEEP=${KEEP} dumps after several runs`, async () => {
    // Names have one-second resolution: space the runs so each writes a new file.
    for (let i = 0; i < 4; i++) {
      await sleep(1100);
      ok(cluster.psql(app, `INSERT INTO votes (choice, voter) VALUES ('run', 'run-${i}');`), "insert");
      expect(backup().status).toBe(0);
    }
    const kept = dumps();
    expect(kept).toHaveLength(KEEP);
    // Five dumps were written; the two oldest are gone, and what is left is the newest three.
    const stamps = kept.map((f) => f.slice("clickvote-".length, -".dump".length));
    expect([...stamps].sort()).toEqual(stamps);
  }, 60_000);

  it("leaves existing dumps alone and fails loudly when the database can't be reached", () => {
    const before = dumps();
    const result = backup({ PGPASSWORD: "wrong" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/password authentication failed/);
    expect(dumps()).toEqual(before);
    expect(result.stdout).not.toMatch(/backup written/);
  });

  it("restores the newest dump with RESTORE_COMMAND into an empty database, row for row", () => {
    const newest = dumps().at(-1) as string;
    const expected = rows(app);
    expect(expected.split("\n").filter(Boolean)).toHaveLength(255);
    const restoredEnv = { ...app, PGDATABASE: "restored" };
    expect(cluster.psql(restoredEnv, "SELECT count(*) FROM votes;").status).not.toBe(0); // empty: no table yet
    const result = sh(RESTORE_COMMAND, { ...restoredEnv, DUMP: path.join(backupDir, newest) });
    expect(result.status, result.stderr).toBe(0);
    expect(rows(restoredEnv)).toBe(expected);
    // The index and the sequence come back too: the next id continues after the restored rows.
    expect(ok(cluster.psql(restoredEnv, "SELECT indexname FROM pg_indexes WHERE tablename = 'votes' ORDER BY 1;"), "indexes")).toMatch(/votes_choice/);
    expect(ok(cluster.psql(restoredEnv, "INSERT INTO votes (choice) VALUES ('new') RETURNING id;"), "insert").trim()).toBe("256");
  });

  it("restores over a database that changed since, back to the dump's rows (--clean --if-exists)", () => {
    const newest = dumps().at(-1) as string;
    const expected = rows(app);
    ok(cluster.psql(app, "DELETE FROM votes WHERE id <= 100; UPDATE votes SET choice = 'vandalised';"), "damage");
    expect(rows(app)).not.toBe(expected);
    const result = sh(RESTORE_COMMAND, { ...app, DUMP: path.join(backupDir, newest) });
    expect(result.status, result.stderr).toBe(0);
    expect(rows(app)).toBe(expected);
  });

  it("restores an older dump to that point in time", () => {
    const oldest = dumps()[0];
    const restoredEnv = { ...app, PGDATABASE: "restored" };
    ok(sh(RESTORE_COMMAND, { ...restoredEnv, DUMP: path.join(backupDir, oldest) }), "restore oldest");
    const voters = ok(cluster.psql(restoredEnv, "SELECT voter FROM votes WHERE choice = 'run' ORDER BY id;"), "runs").trim().split("\n");
    // The oldest kept dump was the third of five runs: it holds the rows inserted before it (run-0, run-1).
    expect(voters).toEqual(["run-0", "run-1"]);
  });
});

describe.skipIf(SKIP_REASON !== undefined)(`PASSWORD_SYNC_SCRIPT on a real data directory${SKIP_REASON ? ` (SKIPPED: ${SKIP_REASON})` : ""}`, () => {
  let cluster: Cluster;
  const NEW_PASSWORD = "Rotated0Password0From0Pulumi";

  beforeAll(() => {
    cluster = new Cluster("clickvote-pwsync-");
  });
  afterAll(() => cluster?.remove());

  it("does nothing on an empty data directory (first start: initdb sets the password)", () => {
    const result = sh(PASSWORD_SYNC_SCRIPT, { PGDATA: cluster.data, POSTGRES_USER: SUPERUSER, POSTGRES_PASSWORD: NEW_PASSWORD }, true);
    expect(result.status, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(cluster.data, "PG_VERSION"))).toBe(false);
  });

  it("re-keys a stopped data directory: the new password logs in, the old one no longer does", async () => {
    cluster.init(SUPERUSER, SUPERUSER_PASSWORD);
    // Before: the initdb password works.
    await cluster.start();
    expect(cluster.psql(cluster.env(SUPERUSER, SUPERUSER_PASSWORD, "postgres"), "SELECT 1;").status).toBe(0);
    cluster.stop();

    // The init container's run: server stopped, only the environment carries the new password.
    const result = sh(PASSWORD_SYNC_SCRIPT, { PGDATA: cluster.data, POSTGRES_USER: SUPERUSER, POSTGRES_PASSWORD: NEW_PASSWORD }, true);
    expect(result.status, result.stderr).toBe(0);

    await cluster.start();
    const withNew = cluster.psql(cluster.env(SUPERUSER, NEW_PASSWORD, "postgres"), "SELECT current_user;");
    expect(withNew.status, withNew.stderr).toBe(0);
    expect(withNew.stdout.trim()).toBe(SUPERUSER);
    const withOld = cluster.psql(cluster.env(SUPERUSER, SUPERUSER_PASSWORD, "postgres"), "SELECT 1;");
    expect(withOld.status).not.toBe(0);
    expect(withOld.stderr).toMatch(/password authentication failed/);
    cluster.stop();
  }, 120_000);

  it("is idempotent: running it again with the same password changes nothing", async () => {
    const again = sh(PASSWORD_SYNC_SCRIPT, { PGDATA: cluster.data, POSTGRES_USER: SUPERUSER, POSTGRES_PASSWORD: NEW_PASSWORD }, true);
    expect(again.status, again.stderr).toBe(0);
    await cluster.start();
    expect(cluster.psql(cluster.env(SUPERUSER, NEW_PASSWORD, "postgres"), "SELECT 1;").status).toBe(0);
    cluster.stop();
  }, 120_000);

  it("keeps the password out of the command line (it reaches postgres on stdin)", () => {
    expect(PASSWORD_SYNC_SCRIPT).toContain('"$POSTGRES_PASSWORD" | postgres --single');
    expect(PASSWORD_SYNC_SCRIPT).not.toMatch(/postgres --single[^\n]*\$POSTGRES_PASSWORD/);
  });
});

describe("the documented restore (docs/guardrails.md)", () => {
  const doc = fs.readFileSync(path.resolve(__dirname, "../docs/guardrails.md"), "utf8");

  it("quotes RESTORE_COMMAND exactly and runs it in the kubectl steps", () => {
    expect(doc).toContain(RESTORE_COMMAND);
    expect(doc).toContain(`sh -c '${RESTORE_COMMAND}'`);
  });

  it("uses a restore pod the restricted namespace admits and the NetworkPolicies let reach PostgreSQL", async () => {
    const manifest = /kubectl -n \$NS apply -f - <<EOF\n([\s\S]*?)\nEOF/.exec(doc)?.[1];
    expect(manifest).toBeDefined();
    const { parse } = await import("yaml");
    const digest = "sha256:" + "0".repeat(64);
    const pod = parse((manifest as string).replace(/\$IMAGE/g, `docker.io/library/postgres:17.6-alpine@${digest}`).replace(/\$NS/g, "clickvote")) as {
      kind: string;
      metadata: { labels: Record<string, string> };
      spec: Record<string, unknown>;
    };
    expect(pod.kind).toBe("Pod");
    const { checkResource } = await import("../policy/test-helpers");
    const { podSecurityRestricted, resourceRequestsLimits, noPlainTextSecrets, imageDigestPinned } = await import("../policy/policies");
    for (const policy of [podSecurityRestricted, resourceRequestsLimits, noPlainTextSecrets, imageDigestPinned]) {
      expect(await checkResource(policy, { type: "kubernetes:core/v1:Pod", props: pod as unknown as Record<string, unknown> }), policy.name).toEqual([]);
    }
    // The backup component's selector labels: backup-egress and postgres-ingress select it.
    expect(pod.metadata.labels).toMatchObject({
      "app.kubernetes.io/name": "clickvote",
      "app.kubernetes.io/instance": "clickvote",
      "app.kubernetes.io/component": "backup",
    });
  });
});
