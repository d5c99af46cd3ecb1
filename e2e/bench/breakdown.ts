// Where the time of one `pulumi preview`/`up` goes, from the CLI's own log (`--logtostderr -v=7`,
// JSON lines with nanosecond timestamps) and the bench's clock around the command. Each phase is
// [start, end] in seconds from the moment the bench started the CLI; phases can overlap (the
// providers start while the program still registers resources).

export interface Phase {
  name: string;
  start: number;
  end: number;
}

interface LogLine {
  t: number;
  msg: string;
}

export function parseLog(stderr: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const entry = JSON.parse(line) as { time?: string; msg?: string };
      if (!entry.time || entry.msg === undefined) continue;
      out.push({ t: timeOf(entry.time), msg: entry.msg });
    } catch {
      // a plugin's own output interleaved with the log: not ours
    }
  }
  return out;
}

/** Seconds since the epoch of an RFC 3339 time with up to nanoseconds (Date keeps milliseconds). */
function timeOf(text: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return NaN;
  return Date.parse(`${m[1]}${m[3]}`) / 1000 + Number(m[2] ?? 0);
}

/**
 * Phases of one run. startedAt/endedAt: the bench's clock (seconds since the epoch) just before
 * the CLI was started and when the Automation API call returned.
 */
export function phases(stderr: string, startedAt: number, endedAt: number): Phase[] {
  const lines = parseLog(stderr);
  if (lines.length === 0) return [];
  const first = (re: RegExp, from = 0) => lines.find((l) => l.t >= from && re.test(l.msg))?.t;
  const last = (re: RegExp) => [...lines].reverse().find((l) => re.test(l.msg))?.t;
  const rel = (t: number | undefined) => (t === undefined ? NaN : t - startedAt);
  const out: Phase[] = [];
  const add = (name: string, start: number | undefined, end: number | undefined) => {
    if (start !== undefined && end !== undefined && end >= start) out.push({ name, start: rel(start), end: rel(end) });
  };
  const logStart = lines[0].t;
  const updateStart = first(/^\*\*\* Starting Update/);
  const runStart = first(/^langhost\[nodejs\]\.Run\(.*executing$/);
  const stackReg = first(/^Registering resource: t=pulumi:pulumi:Stack/);
  const lastReg = last(/^ResourceMonitor\.RegisterResource received/);
  const runEnd = first(/^langhost\[nodejs\]\.Run\(.*success/);
  const updateEnd = first(/^\*\*\* Update\(.*complete \*\*\*/);
  add("CLI start (until its first log line)", startedAt, logStart);
  add("CLI: stack, backend, secrets, language host About()", logStart, updateStart);
  add("CLI: required packages, plugin checks", updateStart, runStart);
  add("Node.js + Pulumi SDK start (until the Stack registers)", runStart, stackReg);
  const firstReg = first(/^ResourceMonitor\.RegisterResource received: t=(?!pulumi:)/, stackReg ?? 0);
  add("program: load, evaluation, registrations (until the last one)", stackReg, lastReg);
  add("  program modules loaded (until its first resource)", stackReg, firstReg);
  add("  self StackReference read (data identity)", first(/read on .*pulumi:pulumi:StackReference/), first(/read on .*pulumi:pulumi:StackReference.* retired/));
  // Each provider: from the engine's Check of its provider resource (which loads the plugin) to the
  // plugin's GetPluginInfo answer (started), then Configure until its first resource call.
  const providerChecks = lines.filter((l) => /^ProviderRegistry\.Check\(urn:.*pulumi:providers:(?!pulumi::)/.test(l.msg));
  const seen = new Map<string, number>();
  for (const check of providerChecks) {
    const urn = /Check\((urn:[^)]*)\)/.exec(check.msg)?.[1] ?? "";
    const pkg = /pulumi:providers:([^:]+)::(.*)$/.exec(urn);
    if (!pkg) continue;
    const label = `${pkg[1]} (${pkg[2]})`;
    if (seen.has(label)) continue;
    seen.set(label, check.t);
    const info = lines.find((l) => l.t >= check.t && /^Provider\[(0x[0-9a-f]+)\]\.GetPluginInfo\(\) success/.test(l.msg));
    add(`  provider ${label} start`, check.t, info?.t);
    const addr = info ? /^Provider\[(0x[0-9a-f]+)\]/.exec(info.msg)?.[1] : undefined;
    if (addr) {
      const configure = lines.find((l) => l.t >= info!.t && l.msg.startsWith(`Provider[${addr}].Configure() executing`));
      const used =
        configure && lines.find((l) => l.t > configure.t && new RegExp(`^Provider\\[${addr}\\]\\.(Check|Diff|Read|Create|Update|Invoke)\\(`).test(l.msg));
      add(`  provider ${label} configure (until its first call)`, configure?.t, used?.t);
    }
  }
  const analyzer = first(/[Aa]nalyzer|policy pack/);
  if (analyzer !== undefined)
    add("  policy pack start (until its first analysis)", analyzer, first(/\.Analyze\(/, analyzer) ?? first(/AnalyzeStack/, analyzer));
  add("engine steps after the last registration (diffs, updates, waits)", lastReg, runEnd);
  add("CLI: finish (snapshot, summary, plugin shutdown, exit)", runEnd ?? updateEnd, endedAt);
  return out;
}

export function formatPhases(title: string, list: Phase[], total: number): string[] {
  const lines = [`${title}: ${total.toFixed(2)} s wall (one run with --logtostderr -v=7, which itself adds some time)`];
  for (const p of list) {
    lines.push(`  ${p.name.padEnd(60)} ${(p.end - p.start).toFixed(2).padStart(6)} s   [${p.start.toFixed(2)} → ${p.end.toFixed(2)}]`);
  }
  return lines;
}
