// Finds the measured figures in the docs and the source each one cites, so a number in a README
// can always be traced to the script that printed it. `npx tsx tools/docs-figures.ts` lists every
// figure with its source (or "NO SOURCE"); test/docs-figures.test.ts fails on any without one.
//
// The rule, and how this file applies it:
//
// - A *figure* is a number with a unit of measurement: a duration (ms, s, min, h), a size (KB,
//   MiB, …), a throughput (req/s), a percentage, a ratio ("3× faster"), or a count of what a run
//   produced ("16 passed", "232 requests"); in a table whose caption or header speaks of seconds,
//   timings, cold or warm, a bare number in a cell is one too.
// - *Configuration* is not a figure: limits, defaults, timeouts, schedules and allowed ranges are
//   what the code is told, not what a run measured. They are recognised by where they stand:
//   inside `inline code`; in the generated config reference; in fenced blocks of commands or
//   manifests (sh, bash, yaml, json, ts); a machine's description ("2 cores, 24 GiB"); and a
//   number whose clause names a setting (CONFIG_WORDS: timeout, deadline, default, limit, backoff,
//   TTL, "at most", "within", ≤, …) — unless a measurement word (MEASURED_WORDS: measured, took,
//   median, slowest, …) stands before it in the clause or in its parenthesis.
//   Everything else is a figure: when in doubt, the test asks for a source.
// - A figure's *source* is cited in the same block — the paragraph, the list item or the table
//   row, or for a table row also the paragraph just above the table (its caption) — as a
//   parenthesis or table cell holding both an inline-code script and an ISO date:
//   (`<script that printed it>`, <YYYY-MM-DD>[, cold|warm][, load <1-minute load average>]).
//   The script must exist here: `npm run <script>`, `npm test`, `npm --prefix app run <script>` /
//   `npm --prefix app test`, or a file relative to the repository or to the doc, optionally after
//   `npx tsx` / `npx vitest run` / `bash`.
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..");

/** The docs the rule covers (issue 16: README.md and the docs). */
export const DOC_FILES = [
  "README.md",
  "docs/ci.md",
  "docs/data-safety.md",
  "docs/first-deploy.md",
  "docs/guardrails.md",
  "app/README.md",
  "e2e/README.md",
  "e2e/realpods/README.md",
];

/** Words that make a number in the same clause a setting rather than a measurement (matched as substrings, code spans included). */
export const CONFIG_WORDS = [
  "timeout",
  "timed out",
  "timing out",
  "deadline",
  "default",
  "limit",
  "grace",
  "backoff",
  "keepalive",
  "ttl",
  "sleep",
  "interval",
  "budget",
  "schedule",
  "retention",
  "idle time",
  "idle timeout",
  "probe",
  "readiness",
  "liveness",
  "at most",
  "up to",
  "more than",
  "within",
  "≤",
  "≥",
  "every",
  "expires",
];

/** Words that make a number a measurement when they stand in its clause or its parenthesis, whatever else is there. */
export const MEASURED_WORDS = ["measured", "took", "takes", "elapsed", "median", "slowest", "fastest", "wall clock", "p50", "p99", "throughput"];

/** Fenced-block languages that hold commands or manifests (configuration); other blocks are output. */
const CONFIG_FENCES = new Set(["sh", "bash", "shell", "yaml", "yml", "json", "ts", "typescript", "js", "dockerfile", "ini", "toml"]);

const DURATION = String.raw`ms|s|sec|secs|seconds?|min|mins|minutes?|h|hours?|days?`;
const SIZE = String.raw`[KMGT]i?B|bytes`;
const RATE = String.raw`req\/s|requests\/s|ops\/s|votes\/s`;
const NUMBER = String.raw`\d+(?:[.,]\d+)?(?:\s?[–-]\s?\d+(?:[.,]\d+)?)?`;
/** Number + unit, a percentage, a ratio, or a count of a run's results. */
const FIGURE = new RegExp(
  [
    String.raw`(?<![\w.@/:-])${NUMBER}\s?(?:${DURATION}|${SIZE}|${RATE})(?![\w/])`,
    String.raw`(?<![\w.@/:-])${NUMBER}\s?%`,
    String.raw`(?<![\w.@/:-])\d+(?:\.\d+)?\s?×\s?(?:faster|slower|more|fewer|less|as )`,
    String.raw`(?<![\w.@/:-])\d+ (?:passed|failed|requests|runs|samples)\b`,
  ].join("|"),
  "g",
);
const MACHINE = /\b\d+ cores?(?:, \d+ [KMGT]i?B)?/g;
const DATE = /\b20\d\d-\d\d-\d\d\b/;

export interface Block {
  /** 1-based line of the block's first line. */
  line: number;
  kind: "paragraph" | "item" | "row" | "heading" | "output";
  text: string;
  /** For a table row: the paragraph just above the table. */
  caption?: string;
  /** For a table row: the table's header row. */
  header?: string;
}

export interface Figure {
  file: string;
  line: number;
  figure: string;
  /** The block's text, for the report. */
  context: string;
  /** The cited script and date, when the block (or its caption) has both. */
  source?: { script: string; date: string };
}

/** Splits a markdown document into the blocks a figure's source may sit in; skips what is configuration by construction. */
export function blocks(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const out: Block[] = [];
  let current: Block | undefined;
  let lastProse: Block | undefined;
  let fence: { config: boolean; block: Block } | undefined;
  let inReference = false;
  let tableCaption: string | undefined;
  let tableHeader: string | undefined;
  let inTable = false;
  const flush = (): void => {
    if (current) out.push(current);
    if (current && (current.kind === "paragraph" || current.kind === "item")) lastProse = current;
    current = undefined;
  };
  lines.forEach((raw, i) => {
    const line = raw.trimEnd();
    const n = i + 1;
    const fenceMatch = /^\s*(```|~~~)\s*([\w-]*)/.exec(line);
    if (fence) {
      if (fenceMatch) {
        if (!fence.config) out.push(fence.block);
        fence = undefined;
      } else fence.block.text += `${line}\n`;
      return;
    }
    if (fenceMatch) {
      flush();
      fence = { config: CONFIG_FENCES.has(fenceMatch[2].toLowerCase()), block: { line: n + 1, kind: "output", text: "" } };
      return;
    }
    if (line.includes("config-reference:begin")) inReference = true;
    if (inReference) {
      if (line.includes("config-reference:end")) inReference = false;
      return;
    }
    if (line.trim() === "") {
      flush();
      inTable = false;
      return;
    }
    if (!/^\s*\|/.test(line)) inTable = false;
    else {
      if (!inTable) {
        inTable = true;
        // A table right after its caption: the caption is the prose block just before.
        const captionFrom = current && current.kind !== "row" ? current : lastProse;
        flush();
        tableCaption = captionFrom?.text;
        tableHeader = line;
      } else flush();
      if (/^\s*\|[\s|:-]+\|\s*$/.test(line)) return; // the header separator
      current = { line: n, kind: "row", text: line, caption: tableCaption, header: tableHeader };
      return;
    }
    if (/^#{1,6}\s/.test(line)) {
      flush();
      out.push({ line: n, kind: "heading", text: line });
      lastProse = undefined;
      return;
    }
    if (/^\s*(?:[-*+]|\d+\.)\s/.test(line)) {
      flush();
      current = { line: n, kind: "item", text: line };
      return;
    }
    if (current && current.kind !== "row") current.text += `\n${line}`;
    else {
      flush();
      current = { line: n, kind: "paragraph", text: line };
    }
  });
  flush();
  return out;
}

/** The block's text with inline code replaced by spaces of the same length (inline code is a literal value). */
function withoutCode(text: string): string {
  return text.replace(/`[^`\n]*`/g, (m) => " ".repeat(m.length));
}

/**
 * The clause a figure stands in, from the original text (code spans included) but cut where the
 * prose has a clause break (; : | — or a full stop before a capital), never inside code or at "e.g.".
 */
function clauseAround(text: string, prose: string, start: number, end: number): { before: string; whole: string } {
  const breaks = /[;:|—]|\.(?=\s+[A-Z*]|\s*$)/g;
  let from = 0;
  let to = text.length;
  for (const m of prose.matchAll(breaks)) {
    const at = m.index ?? 0;
    if (at < start) from = at + 1;
    else if (at >= end) {
      to = at;
      break;
    }
  }
  return { before: cueText(text.slice(from, start)), whole: cueText(text.slice(from, to)) };
}

/** The innermost parenthesis around a position ("" when there is none). */
function parenthesisAround(text: string, at: number): string {
  let depth = 0;
  for (let i = at; i >= 0; i--) {
    if (text[i] === ")") depth++;
    else if (text[i] === "(" && depth-- === 0) {
      const close = text.indexOf(")", at);
      return cueText(text.slice(i, close < 0 ? text.length : close + 1));
    }
  }
  return "";
}

/** Lower case, with camelCase and snake_case split into words (`connectionTimeoutMillis` → "connection timeout millis"). */
function cueText(text: string): string {
  return text
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/_/g, " ")
    .replace(/\s+/g, " ")
    .toLowerCase();
}

/** A cue word as a word (plural allowed), or a symbol anywhere. */
const mentions = (text: string, words: string[]): boolean =>
  words.some((w) => (/^[a-z ]+$/.test(w) ? new RegExp(String.raw`(?<![a-z])${w}(?:s|es)?(?![a-z])`).test(text) : text.includes(w)));

/** HTTP status codes in the plural ("404s") are not durations. */
const STATUS_PLURAL = /^[1-5]\d\ds$/;

/** The figures of one block; configuration is left out. */
export function figuresIn(text: string): string[] {
  // Figures are looked for outside inline code; the words around them are read with the code (a setting's name is a cue).
  const prose = withoutCode(text).replace(MACHINE, (m) => " ".repeat(m.length));
  const found: string[] = [];
  for (const m of prose.matchAll(FIGURE)) {
    const start = m.index ?? 0;
    if (STATUS_PLURAL.test(m[0])) continue;
    const clause = clauseAround(text, prose, start, start + m[0].length);
    // A measurement word before the figure (or in its parenthesis) wins over a setting word anywhere in the clause.
    const measured = mentions(clause.before, MEASURED_WORDS) || mentions(parenthesisAround(text, start), MEASURED_WORDS);
    if (!measured && mentions(clause.whole, CONFIG_WORDS)) continue;
    found.push(m[0].trim());
  }
  return found;
}

/** A table of timings (its caption or header says so) holds figures in bare-number cells too: "| etcd | 44 | 105 |". */
const TIMINGS_TABLE = /seconds|wall clock|timings?|\bcold\b|\bwarm\b/i;

function timedCells(block: Block): string[] {
  if (block.kind !== "row" || block.text === block.header || !TIMINGS_TABLE.test(`${block.caption ?? ""} ${block.header ?? ""}`)) return [];
  return block.text
    .split("|")
    .map((cell) => cell.replace(/\*\*/g, "").trim())
    .filter((cell) => /^[≈~]?\s?\d+(?:\.\d+)?$/.test(cell));
}

/** package.json scripts, read once per directory. */
const scriptsCache = new Map<string, Record<string, string>>();
function npmScripts(dir: string): Record<string, string> {
  let scripts = scriptsCache.get(dir);
  if (!scripts) {
    const file = path.join(ROOT, dir, "package.json");
    scripts = fs.existsSync(file) ? ((JSON.parse(fs.readFileSync(file, "utf8")) as { scripts?: Record<string, string> }).scripts ?? {}) : {};
    scriptsCache.set(dir, scripts);
  }
  return scripts;
}

/**
 * Whether an inline-code span names a script of this repository: `npm run x` / `npm test` (root),
 * `npm --prefix app run x` / `npm --prefix app test`, or an existing file, relative to the
 * repository or to the doc, optionally behind `npx tsx`, `npx vitest run` or `bash`.
 */
export function namesScript(code: string, docDir: string): boolean {
  const words = code.trim().split(/\s+/);
  let dir = docDir;
  if (words[0] === "npm") {
    let args = words.slice(1);
    if (args[0] === "--prefix") {
      dir = path.join(docDir, args[1] ?? "");
      args = args.slice(2);
    }
    if (args[0] === "-s") args = args.slice(1);
    const scripts = npmScripts(path.normalize(dir));
    if (args[0] === "test") return "test" in scripts;
    return args[0] === "run" && args[1] !== undefined && args[1] in scripts;
  }
  if (words[0] === "npx" && (words[1] === "tsx" || words[1] === "vitest")) words.splice(0, words[1] === "vitest" && words[2] === "run" ? 3 : 2);
  else if (words[0] === "bash") words.shift();
  const file = words[0];
  if (!file || !/\.(sh|ts|mjs|js)$/.test(file)) return false;
  return [path.join(ROOT, file), path.join(ROOT, docDir, file)].some((p) => fs.existsSync(p) && fs.statSync(p).isFile());
}

/** The groups a citation may be: every parenthesis (innermost first) and, in a table row, every cell. */
function citationGroups(text: string): string[] {
  const groups: string[] = [];
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") open.push(i);
    else if (text[i] === ")" && open.length) groups.push(text.slice((open.pop() ?? 0) + 1, i));
  }
  if (/^\s*\|/.test(text)) groups.push(...text.split(/(?<!\\)\|/));
  return groups;
}

/** The citation of a block: a parenthesis or table cell that names a script of this repository and an ISO date. */
export function sourceIn(text: string, docDir: string): { script: string; date: string } | undefined {
  for (const group of citationGroups(text)) {
    const date = DATE.exec(group)?.[0];
    if (!date) continue;
    for (const m of group.matchAll(/`([^`\n]+)`/g)) if (namesScript(m[1], docDir)) return { script: m[1], date };
  }
  return undefined;
}

/** Every figure of a markdown document, with the source its block (or table caption) cites. */
export function scanMarkdown(markdown: string, file: string): Figure[] {
  const docDir = path.dirname(file);
  const out: Figure[] = [];
  for (const block of blocks(markdown)) {
    const figures = [...figuresIn(block.text), ...timedCells(block)];
    if (figures.length === 0) continue;
    const source = sourceIn(block.text, docDir) ?? (block.caption !== undefined ? sourceIn(block.caption, docDir) : undefined);
    for (const figure of figures) out.push({ file, line: block.line, figure, context: block.text.split("\n")[0].slice(0, 120), source });
  }
  return out;
}

/** The figures of every doc in DOC_FILES. */
export function scanDocs(files = DOC_FILES): Figure[] {
  return files.flatMap((file) => scanMarkdown(fs.readFileSync(path.join(ROOT, file), "utf8"), file));
}

if (require.main === module) {
  const figures = scanDocs();
  for (const f of figures)
    process.stdout.write(`${f.file}:${f.line}\t${f.figure}\t${f.source ? `${f.source.script}, ${f.source.date}` : "NO SOURCE"}\t${f.context}\n`);
  const missing = figures.filter((f) => !f.source).length;
  process.stdout.write(`${figures.length} figures, ${missing} without a source\n`);
  process.exitCode = missing ? 1 : 0;
}
