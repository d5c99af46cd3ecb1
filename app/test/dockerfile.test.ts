// Static checks of the Dockerfile (no Docker engine needed).
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { APP_DIR } from "./support/services.js";

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions, joining continuation lines and dropping comments. */
function parseDockerfile(text: string): { globalArgs: Instruction[]; stages: Stage[] } {
  const logicalLines: string[] = [];
  let pending = "";
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    logicalLines.push(pending + line);
    pending = "";
  }
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of logicalLines) {
    const match = /^(\S+)\s*(.*)$/.exec(line);
    if (match === null) continue;
    const keyword = (match[1] ?? "").toUpperCase();
    const args = match[2] ?? "";
    if (keyword === "FROM") {
      const fromMatch = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: fromMatch?.[1] ?? args, name: fromMatch?.[2], instructions: [{ keyword, args }] });
    } else if (stages.length === 0) {
      globalArgs.push({ keyword, args });
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}

let parsed: ReturnType<typeof parseDockerfile>;
let finalStage: Stage;

beforeAll(async () => {
  parsed = parseDockerfile(await readFile(path.join(APP_DIR, "Dockerfile"), "utf8"));
  const last = parsed.stages.at(-1);
  if (last === undefined) throw new Error("Dockerfile has no stages");
  finalStage = last;
});

function instructions(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).map((instruction) => instruction.args);
}

describe("Dockerfile", () => {
  it("is multi-stage on a Node 24 slim or alpine base pinned by an exact tag", () => {
    expect(parsed.stages.length).toBeGreaterThanOrEqual(3);
    const baseArg = parsed.globalArgs.find((instruction) => instruction.args.startsWith("NODE_IMAGE="));
    expect(baseArg?.args).toMatch(/^NODE_IMAGE=node:24\.\d+\.\d+-(bookworm-slim|slim|alpine\d*\.?\d*)$/);
    expect(parsed.stages.map((stage) => stage.name)).toEqual(expect.arrayContaining(["deps", "build", "runtime"]));
  });

  it("runs build stages on the build platform and the final stage on the target platform", () => {
    for (const stage of parsed.stages.slice(0, -1)) {
      expect(stage.instructions[0]?.args).toContain("--platform=$BUILDPLATFORM");
    }
    expect(finalStage.instructions[0]?.args).not.toContain("--platform");
    // No RUN in the final stage: cross-building needs no emulation.
    expect(instructions(finalStage, "RUN")).toEqual([]);
  });

  it("installs only production dependencies for the final stage", () => {
    const nodeModulesCopy = instructions(finalStage, "COPY").find((args) => args.includes("node_modules"));
    expect(nodeModulesCopy).toBeDefined();
    const sourceStageName = /--from=(\S+)/.exec(nodeModulesCopy ?? "")?.[1];
    const sourceStage = parsed.stages.find((stage) => stage.name === sourceStageName);
    expect(sourceStage).toBeDefined();
    expect(instructions(sourceStage as Stage, "RUN").join(" ")).toContain("npm ci --omit=dev");
  });

  it("copies no sources or build tooling into the final stage", () => {
    const copies = instructions(finalStage, "COPY");
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) {
      expect(copy).not.toMatch(/(^|\s)\.?\/?src\b/);
      expect(copy).not.toMatch(/tsconfig|\.ts(\s|$)/);
      expect(copy).not.toMatch(/^\.\s|\s\.\s*$/);
    }
    expect(copies.some((copy) => copy.includes("dist"))).toBe(true);
    // Migrations must ship so `node dist/migrate.js` works in the image.
    expect(copies.some((copy) => copy.startsWith("migrations"))).toBe(true);
  });

  it("runs as a numeric non-root user", () => {
    const users = instructions(finalStage, "USER");
    expect(users).toHaveLength(1);
    const match = /^(\d+)(?::(\d+))?$/.exec(users[0] ?? "");
    expect(match).not.toBeNull();
    expect(Number(match?.[1])).toBeGreaterThan(0);
    if (match?.[2] !== undefined) expect(Number(match[2])).toBeGreaterThan(0);
  });

  it("starts node directly in exec form and exposes 8080", () => {
    const cmd = instructions(finalStage, "CMD");
    expect(cmd).toHaveLength(1);
    expect(JSON.parse(cmd[0] ?? "null")).toEqual(["node", "dist/server.js"]);
    expect(instructions(finalStage, "ENTRYPOINT")).toEqual([]);
    expect(instructions(finalStage, "EXPOSE")).toEqual(["8080"]);
  });

  it("sets OCI labels from build arguments", () => {
    const labels = instructions(finalStage, "LABEL").join(" ");
    for (const key of ["title", "version", "revision", "created", "source"]) {
      expect(labels).toContain(`org.opencontainers.image.${key}=`);
    }
    const args = instructions(finalStage, "ARG").map((arg) => arg.split("=")[0]);
    expect(args).toEqual(expect.arrayContaining(["VERSION", "REVISION", "CREATED", "SOURCE"]));
    expect(labels).toContain("${REVISION}");
  });

  it("has a .dockerignore that keeps node_modules, dist and tests out of the context", async () => {
    const ignore = (await readFile(path.join(APP_DIR, ".dockerignore"), "utf8")).split("\n").map((line) => line.trim());
    expect(ignore).toEqual(expect.arrayContaining(["node_modules", "dist", "test", ".env"]));
    // Everything the build stages COPY must stay in the context.
    for (const needed of ["src", "migrations", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.build.json"]) {
      expect(ignore).not.toContain(needed);
    }
  });
});
