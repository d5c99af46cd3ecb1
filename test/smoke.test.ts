import { expect, it } from "vitest";
import { runProgram } from "./harness";
it("runs", async () => {
  const run = await runProgram({ stack: "dev" });
  console.log(run.resources.map((r) => `${r.type} ${r.name} deps=${r.opts.dependsOn.join(",")} parent=${r.opts.parent}`).join("\n"));
  console.log(JSON.stringify(run.outputs));
  expect(run.resources.length).toBeGreaterThan(5);
});
