// e2e/toolchain.sh: what the e2e suite needs, where each binary comes from, why a machine can't
// run it and the exact fix. Seven binaries are built from the Go module proxy; the language host
// and the two providers are only ever taken prebuilt, with their provenance recorded.
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FROM_PROXY, OPTIONAL, PREBUILT, ROOT, TOOLCHAIN, fakeBinaries, fixFor, hasGo, run, status } from "./helpers";

const scratch = mkdtempSync(path.join(os.tmpdir(), "clickvote-toolchain-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("toolchain.sh --status", () => {
  it("names each prebuilt binary that is missing, with the release it must be and where to put it", () => {
    const { code, rows } = status({ CLICKVOTE_E2E_CACHE: path.join(scratch, "empty") });
    expect(code).toBe(1);
    expect([...rows.keys()].sort()).toEqual([...FROM_PROXY, ...Object.keys(PREBUILT), ...Object.keys(OPTIONAL)].sort());
    for (const name of Object.keys(PREBUILT)) {
      const [state, detail] = rows.get(name) ?? ["", ""];
      expect(state, name).toBe("missing");
      expect(detail).toBe(fixFor(name));
      expect(detail).toContain("E2E_PREBUILT_DIR");
    }
    expect(rows.get("pulumi-resource-kubernetes")?.[1]).toContain("put a pulumi-resource-kubernetes v4.32.0 binary in E2E_PREBUILT_DIR");
    for (const name of FROM_PROXY) expect(rows.get(name)?.[0], name).toBe(hasGo ? "build" : "missing");
    // the optional docker-build provider is reported, with its fix, but is not what makes --status fail
    expect(rows.get("pulumi-resource-docker-build")).toEqual(["absent", `optional: ${fixFor("pulumi-resource-docker-build")}`]);
    expect(fixFor("pulumi-resource-docker-build")).toContain("pulumi-resource-docker-build v0.0.22 binary");
    // likewise the docker provider (tag mode), of the release @pulumi/docker asks for
    expect(rows.get("pulumi-resource-docker")).toEqual(["absent", `optional: ${fixFor("pulumi-resource-docker")}`]);
    const sdk = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(fixFor("pulumi-resource-docker")).toContain(`pulumi-resource-docker v${sdk.dependencies["@pulumi/docker"]} binary`);
  });

  it("takes the three from E2E_PREBUILT_DIR, and then every binary is obtainable", () => {
    const prebuilt = fakeBinaries(path.join(scratch, "prebuilt"), Object.keys(PREBUILT));
    const { code, rows } = status({ CLICKVOTE_E2E_CACHE: path.join(scratch, "empty"), E2E_PREBUILT_DIR: prebuilt });
    for (const name of Object.keys(PREBUILT)) expect(rows.get(name)).toEqual(["prebuilt", path.join(prebuilt, name)]);
    expect(rows.get("pulumi-resource-docker-build")?.[0]).toBe("absent");
    expect(code).toBe(hasGo ? 0 : 1);
  });

  it("reports a filled cache as cached, and --check then prints its bin directory", () => {
    const cache = path.join(scratch, "filled");
    const bin = run(TOOLCHAIN, ["--print"], { CLICKVOTE_E2E_CACHE: cache }).stdout.trim();
    expect(bin.startsWith(cache)).toBe(true);
    const missingBefore = run(TOOLCHAIN, ["--check"], { CLICKVOTE_E2E_CACHE: cache });
    expect(missingBefore.status).toBe(1);

    fakeBinaries(bin, [...FROM_PROXY, ...Object.keys(PREBUILT)]);
    const { code, rows } = status({ CLICKVOTE_E2E_CACHE: cache });
    expect(code).toBe(0);
    for (const [name, [state, detail]] of rows) {
      if (name in OPTIONAL) expect([name, state]).toEqual([name, "absent"]);
      else expect([name, state, detail]).toEqual([name, "cached", path.join(bin, name)]);
    }
    const check = run(TOOLCHAIN, ["--check"], { CLICKVOTE_E2E_CACHE: cache });
    expect(check.status).toBe(0);
    expect(check.stdout.trim()).toBe(bin);
    expect(readdirSync(bin)).toHaveLength(10);
  });
});

describe("toolchain.sh --missing", () => {
  it("prints the missing binaries and their fixes on one line and exits 1", () => {
    const result = run(TOOLCHAIN, ["--missing"], { CLICKVOTE_E2E_CACHE: path.join(scratch, "empty") });
    expect(result.status).toBe(1);
    expect(result.stdout.trim().split("\n")).toHaveLength(1);
    expect(result.stdout.trim()).toBe(
      Object.keys(PREBUILT)
        .map((name) => `${name}: ${fixFor(name)}`)
        .join("; "),
    );
  });

  it("prints nothing and exits 0 when every binary can be had", () => {
    const prebuilt = fakeBinaries(path.join(scratch, "prebuilt-all"), Object.keys(PREBUILT));
    const result = run(TOOLCHAIN, ["--missing"], { CLICKVOTE_E2E_CACHE: path.join(scratch, "empty"), E2E_PREBUILT_DIR: prebuilt });
    expect(result.stdout).toBe(hasGo ? "" : expect.stringContaining("go is not installed"));
    expect(result.status).toBe(hasGo ? 0 : 1);
  });
});

describe("toolchain.sh with a prebuilt binary", () => {
  it("copies it into the cache without Go and records its source path and sha256", () => {
    const cache = path.join(scratch, "copied");
    const prebuilt = fakeBinaries(path.join(scratch, "prebuilt-random"), ["pulumi-resource-random"]);
    const source = path.join(prebuilt, "pulumi-resource-random");
    // PATH without go: copying a prebuilt binary needs no build tool
    const env = { CLICKVOTE_E2E_CACHE: cache, E2E_PREBUILT_DIR: prebuilt, E2E_ONLY: "randomprovider", PATH: "/usr/bin:/bin" };
    const result = run(TOOLCHAIN, [], env);
    expect(result.status, result.stderr).toBe(0);
    const sha256 = createHash("sha256").update(readFileSync(source)).digest("hex");
    expect(result.stderr).toContain(`pulumi-resource-random: taken from ${source}, sha256 ${sha256}`);
    const bin = run(TOOLCHAIN, ["--print"], env).stdout.trim();
    expect(readFileSync(path.join(bin, "pulumi-resource-random"), "utf8")).toBe(readFileSync(source, "utf8"));
    const [state, detail] = status(env).rows.get("pulumi-resource-random") ?? ["", ""];
    expect(state).toBe("cached");
    expect(detail).toBe(`${path.join(bin, "pulumi-resource-random")} (prebuilt v4.21.1, copied from ${source}, sha256 ${sha256})`);
  });

  it("takes the optional docker-build provider when it is found, even into a cache that is otherwise complete, and again when the release asked for changes", () => {
    const cache = path.join(scratch, "optional");
    const bin = run(TOOLCHAIN, ["--print"], { CLICKVOTE_E2E_CACHE: cache }).stdout.trim();
    fakeBinaries(bin, [...FROM_PROXY, ...Object.keys(PREBUILT)]);
    const prebuilt = fakeBinaries(path.join(scratch, "prebuilt-docker-build"), ["pulumi-resource-docker-build"]);
    const source = path.join(prebuilt, "pulumi-resource-docker-build");
    const env = { CLICKVOTE_E2E_CACHE: cache, E2E_PREBUILT_DIR: prebuilt, PATH: "/usr/bin:/bin" };
    expect(status(env).rows.get("pulumi-resource-docker-build")).toEqual(["prebuilt", source]);
    const first = run(TOOLCHAIN, [], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`pulumi-resource-docker-build: taken from ${source}`);
    const [state, detail] = status(env).rows.get("pulumi-resource-docker-build") ?? ["", ""];
    expect(state).toBe("cached");
    expect(detail).toContain("(prebuilt v0.0.22, copied from");
    // nothing more to take: the complete cache is used as it is
    const again = run(TOOLCHAIN, [], env);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).not.toContain("taken from");
    // a cached copy of another release is stale: reported as a copy to take, and taken again
    const bumped = { ...env, E2E_PULUMI_DOCKER_BUILD_PROVIDER_VERSION: "0.0.23" };
    expect(status(bumped).rows.get("pulumi-resource-docker-build")).toEqual(["prebuilt", source]);
    const retaken = run(TOOLCHAIN, [], bumped);
    expect(retaken.status, retaken.stderr).toBe(0);
    expect(retaken.stderr).toContain(`pulumi-resource-docker-build: taken from ${source}`);
    expect(status(bumped).rows.get("pulumi-resource-docker-build")?.[1]).toContain("(prebuilt v0.0.23, copied from");
  });

  it("an optional binary that is nowhere to be found is logged as absent, with what is then left out, and the run still succeeds", () => {
    const cache = path.join(scratch, "optional-absent");
    const bin = run(TOOLCHAIN, ["--print"], { CLICKVOTE_E2E_CACHE: cache }).stdout.trim();
    fakeBinaries(bin, [...FROM_PROXY, ...Object.keys(PREBUILT)]);
    const result = run(TOOLCHAIN, [], { CLICKVOTE_E2E_CACHE: cache, E2E_ONLY: "dockerbuildprovider dockerprovider", PATH: "/usr/bin:/bin" });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toContain(
      `pulumi-resource-docker-build: absent (optional: build mode is then not run for real); ${fixFor("pulumi-resource-docker-build")}`,
    );
    expect(result.stderr).toContain(
      `pulumi-resource-docker: absent (optional: tag mode, and the rollback of a built release, are then not run for real); ${fixFor("pulumi-resource-docker")}`,
    );
    expect(readdirSync(bin).filter((name) => name in OPTIONAL)).toEqual([]);
  });

  it("takes the optional docker provider by its own release, independently of the docker-build provider", () => {
    const cache = path.join(scratch, "optional-docker");
    const bin = run(TOOLCHAIN, ["--print"], { CLICKVOTE_E2E_CACHE: cache }).stdout.trim();
    fakeBinaries(bin, [...FROM_PROXY, ...Object.keys(PREBUILT)]);
    const prebuilt = fakeBinaries(path.join(scratch, "prebuilt-docker"), ["pulumi-resource-docker"]);
    const env = { CLICKVOTE_E2E_CACHE: cache, E2E_PREBUILT_DIR: prebuilt, PATH: "/usr/bin:/bin", E2E_PULUMI_DOCKER_PROVIDER_VERSION: "5.3.0" };
    const first = run(TOOLCHAIN, [], env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toContain(`pulumi-resource-docker: taken from ${path.join(prebuilt, "pulumi-resource-docker")}`);
    const rows = status(env).rows;
    expect(rows.get("pulumi-resource-docker")?.[1]).toContain("(prebuilt v5.3.0, copied from");
    expect(rows.get("pulumi-resource-docker-build")?.[0]).toBe("absent");
  });

  it("stops with the fix when a wanted prebuilt binary is nowhere to be found", () => {
    const env = { CLICKVOTE_E2E_CACHE: path.join(scratch, "not-copied"), E2E_ONLY: "k8sprovider", PATH: "/usr/bin:/bin" };
    const result = run(TOOLCHAIN, [], env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`pulumi-resource-kubernetes: missing; ${fixFor("pulumi-resource-kubernetes")}`);
    expect(readdirSync(run(TOOLCHAIN, ["--print"], env).stdout.trim())).toEqual([]);
  });
});

describe("the repository builds none of the three", () => {
  it("holds no module path, build or download step for the language host or the providers", () => {
    const text = readFileSync(TOOLCHAIN, "utf8");
    for (const module of ["sdk/nodejs/cmd/pulumi-language-nodejs", "pulumi-kubernetes/provider", "pulumi-random/provider", "terraform-provider-random"]) {
      expect(text, module).not.toContain(module);
    }
    for (const name of Object.keys(PREBUILT)) {
      expect(text, name).not.toMatch(new RegExp(`go (build|install|generate)[^\\n]*${name}`));
    }
  });
});
