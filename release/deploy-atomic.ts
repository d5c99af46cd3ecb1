// npm run deploy:atomic -- --stack <stack> [--policy-pack DIR]
// `pulumi up`; when it fails, rolls the stack back to its last good release automatically and
// exits non-zero naming what failed (helm upgrade --atomic, for a Pulumi stack).
import { describeRelease, planRollback, releaseOf, updates } from "./releases";
import { deploymentHistory, fail, failureSummary, openStack, parseCommandArgs, pinRelease, print } from "./stack";

const USAGE = "usage: npm run deploy:atomic -- --stack <stack> [--policy-pack DIR] [--cwd DIR]";

async function main(): Promise<void> {
  const args = parseCommandArgs(process.argv.slice(2), USAGE);
  const stack = await openStack(args.stack, args.workDir);
  let failure: unknown;
  try {
    await stack.up({ onOutput: print, policyPacks: args.policyPacks });
    print(`deployed ${args.stack}\n`);
    return;
  } catch (err) {
    failure = err;
  }
  const history = await deploymentHistory(stack);
  const newest = updates(history)[0];
  const attempted = newest ? describeRelease(releaseOf(newest)) : "the new release";
  const what = failureSummary(failure);
  print(`\ndeploy of ${attempted} failed:\n${what}\n`);
  const plan = planRollback(history);
  if (!plan.ok) fail(`no automatic rollback: ${plan.reason}`, 1);
  print(`rolling back to ${describeRelease(plan.target)}\n`);
  await pinRelease(stack, plan.target);
  try {
    await stack.up({ onOutput: print, policyPacks: args.policyPacks });
  } catch (err) {
    fail(`deploy failed (${what.split("\n")[0]}) and the rollback failed too:\n${failureSummary(err)}`, 1);
  }
  fail(`deploy of ${attempted} failed and was rolled back to ${describeRelease(plan.target)}. Cause:\n${what}`, 1);
}

main().catch((err: unknown) => fail(`deploy:atomic: ${failureSummary(err)}`, 1));
