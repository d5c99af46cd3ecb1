// npm run deploy:atomic -- --stack <stack> [--policy-pack DIR [--policy-pack-config FILE]]
// Previews the update (with the policy pack) and stops there, changing nothing, when the preview
// fails; otherwise `pulumi up`, and when that fails, rolls the stack back to its last good
// release automatically and exits non-zero naming what failed (helm upgrade --atomic, for a
// Pulumi stack).
import { describeRelease, planRollback, releaseOf, updates } from "./releases";
import {
  deploymentHistory,
  fail,
  failureSummary,
  mandatoryViolations,
  openStack,
  parseCommandArgs,
  pinRelease,
  policyOptions,
  print,
  refusalReason,
} from "./stack";

const USAGE = "usage: npm run deploy:atomic -- --stack <stack> [--policy-pack DIR] [--policy-pack-config FILE] [--cwd DIR]";

async function main(): Promise<void> {
  const args = parseCommandArgs(process.argv.slice(2), USAGE);
  const stack = await openStack(args.stack, args.workDir);
  const policy = policyOptions(args);

  // The Automation API's up skips the preview, and the engine checks a resource's policies only
  // when it reaches that resource (stack policies after the last one): a refused release would
  // be half applied. The preview checks everything first and changes nothing.
  const previewed = mandatoryViolations();
  try {
    await stack.preview({ ...policy, onEvent: previewed.onEvent });
  } catch (err) {
    fail(`deploy of ${args.stack} stopped before any change (the preview failed; nothing to roll back). Cause: ${refusalReason(err, previewed.found)}`, 1);
  }

  let failure: unknown;
  const applied = mandatoryViolations();
  try {
    await stack.up({ ...policy, onOutput: print, onEvent: applied.onEvent });
    print(`deployed ${args.stack}\n`);
    return;
  } catch (err) {
    failure = err;
  }
  const history = await deploymentHistory(stack);
  const newest = updates(history)[0];
  const attempted = newest ? describeRelease(releaseOf(newest)) : "the new release";
  const what = refusalReason(failure, applied.found);
  print(`\ndeploy of ${attempted} failed:\n${what}\n`);
  const plan = planRollback(history);
  if (!plan.ok) fail(`no automatic rollback: ${plan.reason}`, 1);
  print(`rolling back to ${describeRelease(plan.target)}\n`);
  await pinRelease(stack, plan.target);
  const rolledBack = mandatoryViolations();
  try {
    await stack.up({ ...policy, onOutput: print, onEvent: rolledBack.onEvent });
  } catch (err) {
    fail(`deploy failed (${what.split("\n")[0]}) and the rollback failed too:\n${refusalReason(err, rolledBack.found)}`, 1);
  }
  fail(`deploy of ${attempted} failed and was rolled back to ${describeRelease(plan.target)}. Cause:\n${what}`, 1);
}

main().catch((err: unknown) => fail(`deploy:atomic: ${failureSummary(err)}`, 1));
