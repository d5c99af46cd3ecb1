// Where a fresh `pulumi up` spends its time, from the engine events it streams (each stamped with
// the bench's wall clock on arrival): the critical path PostgreSQL ready → migration Job complete
// → app rollout that issue 15 compares the up with, and the whole up cut into consecutive phases
// around that path, so that what the path does not cover (start, the objects before and after
// it, the gaps between its steps, the CLI's finish) is measured, not inferred. The events are
// stamped when the bench reads them (every 20 ms from the CLI's event log, e2e/bench/cli.ts), so
// each phase is good to about that much.
import { EngineEvent } from "@pulumi/pulumi/automation";
import { median } from "./format";
import { now } from "./measure";

/** An engine event and the wall-clock second (bench clock) it arrived at. */
export interface TimedEvent {
  at: number;
  event: EngineEvent;
}

type Kind = "pre" | "outputs";

const metadataOf = (e: EngineEvent, kind: Kind) => (kind === "pre" ? e.resourcePreEvent?.metadata : e.resOutputsEvent?.metadata);

/** The first event of `kind` for a create of a resource of `type` whose URN name contains `nameIncludes`. */
function createEvent(events: TimedEvent[], kind: Kind, type: string, nameIncludes: string): TimedEvent | undefined {
  return events.find(({ event }) => {
    const m = metadataOf(event, kind);
    return m !== undefined && m.op === "create" && m.type === type && m.urn.split("::").pop()!.includes(nameIncludes);
  });
}

/** The three steps of the critical path: [type, URN name fragment, label]. */
const PATH = [
  ["kubernetes:apps/v1:StatefulSet", "postgres", "postgres"],
  ["kubernetes:batch/v1:Job", "", "migration"],
  ["kubernetes:apps/v1:Deployment", "", "app"],
] as const;

/** Each critical-path step's create event and outputs event; undefined when a step is missing. */
function pathSteps(events: TimedEvent[]): { label: string; pre: TimedEvent; out: TimedEvent }[] | undefined {
  const found = PATH.map(([type, name, label]) => ({ label, pre: createEvent(events, "pre", type, name), out: createEvent(events, "outputs", type, name) }));
  if (found.some((s) => !s.pre || !s.out)) return undefined;
  return found as { label: string; pre: TimedEvent; out: TimedEvent }[];
}

/**
 * PostgreSQL ready → migration Job complete → app rollout: the sum of each step's span from its
 * create event to its outputs event, in seconds, and the parts as text. Undefined when the events
 * lack one of the three creates (an up that created none of them is not a fresh up).
 */
export interface CriticalPath {
  /** seconds */
  total: number;
  /** each step's seconds, as text */
  parts: string;
}

export function criticalPath(events: TimedEvent[]): CriticalPath | undefined {
  const steps = pathSteps(events);
  if (!steps) return undefined;
  const spans = steps.map((s) => s.out.at - s.pre.at);
  return {
    total: spans.reduce((a, b) => a + b, 0),
    parts: steps.map((s, i) => `${s.label} ${spans[i].toFixed(1)}`).join(" + ") + " s",
  };
}

export interface Phase {
  label: string;
  /** seconds */
  seconds: number;
  /** true for the critical path's own steps */
  onPath: boolean;
}

/**
 * The fresh up from `started` to `ended` (bench-clock seconds) as consecutive phases that add up
 * to the whole: the start until the first object's step (a `kubernetes:` or `random:` resource),
 * the objects before PostgreSQL's StatefulSet, the three path steps and the two gaps between
 * them, the objects after the app's rollout (until the last outputs event), and the CLI's finish.
 * Undefined when the events lack a path step.
 */
export function freshUpPhases(events: TimedEvent[], started: number, ended: number): Phase[] | undefined {
  const steps = pathSteps(events);
  if (!steps) return undefined;
  const isObject = (e: EngineEvent) => /^(kubernetes|random):/.test(e.resourcePreEvent?.metadata.type ?? "");
  const firstObject = events.find(({ event }) => isObject(event))?.at ?? steps[0].pre.at;
  const lastOutputs = events.reduce((last, { at, event }) => (event.resOutputsEvent ? Math.max(last, at) : last), steps[2].out.at);
  const [pg, job, app] = steps;
  const phase = (label: string, from: number, to: number, onPath = false): Phase => ({ label, seconds: to - from, onPath });
  return [
    phase("start: CLI, language host, program, until the first object's step", started, firstObject),
    phase("objects before PostgreSQL's StatefulSet (namespace, passwords, Secrets, …)", firstObject, pg.pre.at),
    phase("PostgreSQL StatefulSet: create → ready", pg.pre.at, pg.out.at, true),
    phase("gap: PostgreSQL ready → migration Job's create", pg.out.at, job.pre.at),
    phase("migration Job: create → complete", job.pre.at, job.out.at, true),
    // the app waits for the Job and for Redis's StatefulSet (components/clickvote.ts)
    phase("gap: Job complete → app Deployment's create", job.out.at, app.pre.at),
    phase("app Deployment: create → rolled out", app.pre.at, app.out.at, true),
    phase("objects after the app's rollout (until the last step's outputs)", app.out.at, lastOutputs),
    phase("CLI finish (snapshot, summary, plugin shutdown, exit)", lastOutputs, ended),
  ];
}

/** The phases as indented lines under a title: label, seconds, and a mark on the path's steps. */
export function formatFreshUp(title: string, phases: Phase[]): string[] {
  const total = phases.reduce((a, p) => a + p.seconds, 0);
  const path = phases.filter((p) => p.onPath).reduce((a, p) => a + p.seconds, 0);
  return [
    `${title}: ${total.toFixed(2)} s wall, of which the critical path ${path.toFixed(2)} s and the rest ${(total - path).toFixed(2)} s`,
    ...phases.map((p) => `  ${p.label.padEnd(72)} ${p.seconds.toFixed(2).padStart(6)} s${p.onPath ? "   (path)" : ""}`),
  ];
}

/** One fresh up as the bench reports it: its wall seconds, and its path and phases when its events had them. */
export interface TracedUp {
  wall: number;
  path?: CriticalPath;
  phases?: Phase[];
}

/**
 * Runs `up`, handing it the callback for its engine events (runCli's `onEvent`), and returns its
 * result with the critical path and the phases of those events, timed from just before `up` starts
 * to just after it ends (bench clock).
 */
export async function traceFreshUp<T>(
  up: (onEvent: (event: EngineEvent, at: number) => void) => Promise<T>,
): Promise<{ value: T; path?: CriticalPath; phases?: Phase[] }> {
  const events: TimedEvent[] = [];
  const started = now();
  const value = await up((event, at) => events.push({ at, event }));
  const ended = now();
  return { value, path: criticalPath(events), phases: freshUpPhases(events, started, ended) };
}

/**
 * The row beside the fresh ups' row: the median critical path, the parts of the path nearest it,
 * and the median fresh up over it; none when no up had a path.
 */
export function pathRow(ups: TracedUp[]): string[] {
  const paths = ups.map((u) => u.path).filter((p): p is CriticalPath => p !== undefined);
  if (paths.length === 0) return [];
  const p = median(paths.map((x) => x.total));
  const nearest = paths.reduce((best, x) => (Math.abs(x.total - p) < Math.abs(best.total - p) ? x : best));
  const ratio = median(ups.map((u) => u.wall)) / p;
  return [
    `${"  critical path".padEnd(34)} median ${p.toFixed(2).padStart(7)} s   (parts of the nearest: ${nearest.parts})   fresh up / path ${ratio.toFixed(2)}×`,
  ];
}

/** The phases of the up whose wall time is the median's (the lower middle for an even count), after a blank line; none without phases. */
export function medianUpPhases(ups: TracedUp[]): string[] {
  const i = ups.map((u, index) => [u.wall, index] as const).sort((a, b) => a[0] - b[0])[Math.floor((ups.length - 1) / 2)]?.[1];
  const phases = i === undefined ? undefined : ups[i].phases;
  return i === undefined || !phases ? [] : ["", ...formatFreshUp(`fresh up #${i + 1} (the median's)`, phases)];
}
