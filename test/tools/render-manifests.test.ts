import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_OUT, apiVersionKind, parseCommandLine } from "../../tools/render-manifests";

describe("tools/render-manifests.ts", () => {
  it("maps type tokens to apiVersion and kind", () => {
    expect(apiVersionKind("kubernetes:apps/v1:Deployment")).toEqual({ apiVersion: "apps/v1", kind: "Deployment" });
    expect(apiVersionKind("kubernetes:core/v1:Service")).toEqual({ apiVersion: "v1", kind: "Service" });
    expect(apiVersionKind("kubernetes:networking.k8s.io/v1:NetworkPolicy")).toEqual({ apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" });
    expect(apiVersionKind("random:index/randomPassword:RandomPassword")).toBeUndefined();
  });
});

describe("render-manifests command line", () => {
  it("renders dev and prod into .manifests/ by default, or the stacks and directory given", () => {
    expect(parseCommandLine([])).toEqual({ out: DEFAULT_OUT, stacks: ["dev", "prod"] });
    expect(parseCommandLine(["--out", "/tmp/m", "--stack", "prod"])).toEqual({ out: path.resolve("/tmp/m"), stacks: ["prod"] });
    expect(parseCommandLine(["--stack", "a", "--stack", "b"]).stacks).toEqual(["a", "b"]);
  });
});
