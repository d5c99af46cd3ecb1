// e2e/bench/fresh-up.ts: the critical path and the phases of a fresh up, from engine events.
import { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, it } from "vitest";
import { TimedEvent, criticalPath, formatFreshUp, freshUpPhases, medianUpPhases, pathRow, traceFreshUp } from "../e2e/bench/fresh-up";

const urn = (type: string, name: string) => `urn:pulumi:dev::clickvote::clickvote:index:Part$${type}::${name}`;
let sequence = 0;
const at = (seconds: number, kind: "pre" | "outputs", type: string, name: string, op = "create"): TimedEvent => {
  const metadata = { op, urn: urn(type, name), type, provider: "" };
  const event = { sequence: sequence++, timestamp: 0, ...(kind === "pre" ? { resourcePreEvent: { metadata } } : { resOutputsEvent: { metadata } }) };
  return { at: seconds, event: event as unknown as EngineEvent };
};
const STS = "kubernetes:apps/v1:StatefulSet";
const JOB = "kubernetes:batch/v1:Job";
const DEPLOY = "kubernetes:apps/v1:Deployment";

/** A fresh up started at 100 s: objects from 101.5, PostgreSQL 102–105, Job 105.5–107, app 107.2–110, a Service after, done at 111. */
const events: TimedEvent[] = [
  at(100.8, "pre", "pulumi:pulumi:Stack", "clickvote-dev"),
  at(101.5, "pre", "random:index/randomPassword:RandomPassword", "pg-password"),
  at(101.6, "pre", "kubernetes:core/v1:Namespace", "ns"),
  at(101.9, "outputs", "kubernetes:core/v1:Namespace", "ns"),
  at(101.95, "pre", STS, "clickvote-redis"),
  at(102, "pre", STS, "clickvote-postgres"),
  at(103, "outputs", STS, "clickvote-redis"),
  at(105, "outputs", STS, "clickvote-postgres"),
  at(105.5, "pre", JOB, "clickvote-migrate"),
  at(107, "outputs", JOB, "clickvote-migrate"),
  at(107.2, "pre", DEPLOY, "clickvote-app"),
  at(110, "outputs", DEPLOY, "clickvote-app"),
  at(110.1, "pre", "kubernetes:policy/v1:PodDisruptionBudget", "pdb"),
  at(110.4, "outputs", "kubernetes:policy/v1:PodDisruptionBudget", "pdb"),
  at(110.5, "outputs", "pulumi:pulumi:Stack", "clickvote-dev"),
];

describe("criticalPath", () => {
  it("adds the PostgreSQL StatefulSet's, the Job's and the Deployment's create → outputs spans (not Redis's)", () => {
    const cp = criticalPath(events)!;
    expect(cp.total).toBeCloseTo(3 + 1.5 + 2.8, 6);
    expect(cp.parts).toBe("postgres 3.0 + migration 1.5 + app 2.8 s");
  });

  it("is undefined when a step was not created (an update, or a failed up)", () => {
    expect(criticalPath(events.filter((e) => !(e.event.resOutputsEvent?.metadata.type === JOB)))).toBeUndefined();
    const updated = events.map((e) => (e.event.resourcePreEvent?.metadata.type === DEPLOY ? at(e.at, "pre", DEPLOY, "clickvote-app", "update") : e));
    expect(criticalPath(updated)).toBeUndefined();
  });
});

describe("freshUpPhases", () => {
  it("cuts the up into consecutive phases that add up to its wall time, the path's steps marked", () => {
    const phases = freshUpPhases(events, 100, 111)!;
    expect(phases.map((p) => [p.label.split(/[:(]/)[0].trim(), Number(p.seconds.toFixed(2)), p.onPath])).toEqual([
      ["start", 1.5, false], // until the first random:/kubernetes: step, not the Stack's
      ["objects before PostgreSQL's StatefulSet", 0.5, false],
      ["PostgreSQL StatefulSet", 3, true],
      ["gap", 0.5, false],
      ["migration Job", 1.5, true],
      ["gap", 0.2, false],
      ["app Deployment", 2.8, true],
      ["objects after the app's rollout", 0.5, false], // to the last outputs event (the Stack's)
      ["CLI finish", 0.5, false],
    ]);
    expect(phases.reduce((a, p) => a + p.seconds, 0)).toBeCloseTo(11, 6);
  });

  it("is undefined without the path's steps", () => {
    expect(freshUpPhases(events.slice(0, 5), 100, 111)).toBeUndefined();
  });

  it("formats a title with the path's share, one line per phase", () => {
    const lines = formatFreshUp("fresh up #1", freshUpPhases(events, 100, 111)!);
    expect(lines[0]).toBe("fresh up #1: 11.00 s wall, of which the critical path 7.30 s and the rest 3.70 s");
    expect(lines).toHaveLength(10);
    expect(lines[3]).toMatch(/^ {2}PostgreSQL StatefulSet: create → ready +3\.00 s {3}\(path\)$/);
  });
});

describe("traceFreshUp", () => {
  it("hands the up an event callback and returns its result with the path and the phases of the events it got", async () => {
    const traced = await traceFreshUp(async (onEvent) => {
      for (const e of events) onEvent(e.event, e.at);
      return "done";
    });
    expect(traced.value).toBe("done");
    expect(traced.path?.parts).toBe("postgres 3.0 + migration 1.5 + app 2.8 s");
    expect(traced.phases).toHaveLength(9);
  });

  it("has no path and no phases when the up created none of the path's steps", async () => {
    const traced = await traceFreshUp(async () => 0);
    expect(traced).toEqual({ value: 0, path: undefined, phases: undefined });
  });
});

describe("pathRow and medianUpPhases", () => {
  const phases = freshUpPhases(events, 100, 111)!;
  const ups = [
    { wall: 12, path: { total: 7, parts: "a" }, phases },
    { wall: 10, path: { total: 5, parts: "b" } },
    { wall: 11, path: { total: 6.2, parts: "c" }, phases },
  ];

  it("gives the median path, the parts of the path nearest it and the median up over it", () => {
    expect(pathRow(ups)).toEqual([`${"  critical path".padEnd(34)} median    6.20 s   (parts of the nearest: c)   fresh up / path 1.77×`]);
    expect(pathRow([{ wall: 3 }])).toEqual([]);
  });

  it("cuts into phases the up whose wall time is the median's, numbered as it ran; nothing when that one has no phases", () => {
    const lines = medianUpPhases(ups);
    expect(lines[0]).toBe("");
    expect(lines[1]).toMatch(/^fresh up #3 \(the median's\): 11\.00 s wall/);
    expect(medianUpPhases([ups[0], ups[1], { wall: 11 }])).toEqual([]);
    expect(medianUpPhases([])).toEqual([]);
  });
});
