// Rolls a stack back from CI (the rollback workflow):
//   npx tsx ci/rollback.ts <stack> [<version>]
//
// <version> is X.Y.Z or sha256:<digest>; empty means the last good release in the stack's
// history. Writes the cluster credentials from KUBECONFIG_DATA, selects the stack, then runs
// `npm run rollback -- --stack <stack> [--to <version>] --yes`.
import { parseCommand } from "../tools/cli";
import { applyCiSettings, die, npmRun, runMain, selectStack, writeKubeconfig } from "./lib";

const USAGE = "usage: ci/rollback.ts <stack> [<version>]";
const STACK = /^[A-Za-z0-9_.-]+$/;
const VERSION = /^([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?|sha256:[a-f0-9]{64})$/;

runMain(() => {
  const { positionals } = parseCommand({ args: process.argv.slice(2), options: {}, allowPositionals: true }, USAGE);
  const [stack = "", version = "", extra] = positionals;
  if (!STACK.test(stack) || extra !== undefined) die(USAGE);
  if (version && !VERSION.test(version)) die(`version '${version}' is neither X.Y.Z nor sha256:<64 hex>`);
  writeKubeconfig(stack);
  selectStack(stack);
  applyCiSettings(stack);
  const args = ["--stack", stack, ...(version ? ["--to", version] : [])];
  npmRun("rollback", [...args, "--yes"]);
});
