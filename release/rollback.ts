// npm run rollback -- --stack <stack> [--to <version | sha256:digest>] [--yes]
// Finds the last good release in the stack's own history, previews the change, and with --yes
// re-deploys it with `pulumi up`. Refuses when there is nothing to roll back to.
import { describeRelease, planRollback } from "./releases";
import { deploymentHistory, fail, failureSummary, openStack, parseCommandArgs, pinRelease, print } from "./stack";

const USAGE = "usage: npm run rollback -- --stack <stack> [--to <version | sha256:digest>] [--yes] [--cwd DIR]";

async function main(): Promise<void> {
  const args = parseCommandArgs(process.argv.slice(2), USAGE);
  const stack = await openStack(args.stack, args.workDir);
  const plan = planRollback(await deploymentHistory(stack), args.to);
  if (!plan.ok) fail(`rollback refused: ${plan.reason}`, 1);

  print(`stack ${args.stack}\n  current: ${plan.current ? describeRelease(plan.current) : "unknown"}\n  target:  ${describeRelease(plan.target)}\n`);
  await pinRelease(stack, plan.target);
  const preview = await stack.preview({ diff: true, policyPacks: args.policyPacks });
  print(`preview: ${JSON.stringify(preview.changeSummary)}\n`);
  if (!args.yes) {
    print(`Pulumi.${args.stack}.yaml now points at the target; run again with --yes (or pulumi up) to apply.\n`);
    return;
  }
  try {
    await stack.up({ onOutput: print, policyPacks: args.policyPacks });
  } catch (err) {
    fail(`rollback to ${describeRelease(plan.target)} failed:\n${failureSummary(err)}`, 1);
  }
  print(`rolled back ${args.stack} to ${describeRelease(plan.target)}; Pulumi.${args.stack}.yaml pins it until the next release.\n`);
}

main().catch((err: unknown) => fail(`rollback: ${failureSummary(err)}`, 1));
