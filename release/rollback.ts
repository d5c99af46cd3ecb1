// npm run rollback -- --stack <stack> [--to <version | sha256:digest>] [--yes] [--policy-pack DIR [--policy-pack-config FILE]]
// Finds the last good release in the stack's own history, previews the change (with the policy
// pack, which judges the old release by today's policies), and with --yes re-deploys it with
// `pulumi up`. Refuses when there is nothing to roll back to, and when the preview fails: then
// Pulumi.<stack>.yaml is put back as it was and nothing changes.
import { describeRelease, planRollback } from "./releases";
import { deploymentHistory, fail, failureSummary, mandatoryViolations, openStack, parseCommandArgs, pinRelease, policyOptions, print } from "./stack";

const USAGE = "usage: npm run rollback -- --stack <stack> [--to <version | sha256:digest>] [--yes] [--policy-pack DIR] [--policy-pack-config FILE] [--cwd DIR]";

async function main(): Promise<void> {
  const args = parseCommandArgs(process.argv.slice(2), USAGE);
  const stack = await openStack(args.stack, args.workDir);
  const policy = policyOptions(args);
  const plan = planRollback(await deploymentHistory(stack), args.to);
  if (!plan.ok) fail(`rollback refused: ${plan.reason}`, 1);

  print(`stack ${args.stack}\n  current: ${plan.current ? describeRelease(plan.current) : "unknown"}\n  target:  ${describeRelease(plan.target)}\n`);
  const restore = await pinRelease(stack, plan.target);
  const violations = mandatoryViolations();
  let preview;
  try {
    preview = await stack.preview({ diff: true, ...policy, onEvent: violations.onEvent });
  } catch (err) {
    await restore();
    const why =
      violations.found.length > 0 ? `today's policy pack refuses it:\n  ${violations.found.join("\n  ")}` : `its preview failed:\n${failureSummary(err)}`;
    fail(`rollback to ${describeRelease(plan.target)} refused: ${why}\nNothing changed; Pulumi.${args.stack}.yaml is as it was.`, 1);
  }
  print(`preview: ${JSON.stringify(preview.changeSummary)}\n`);
  if (!args.yes) {
    print(`Pulumi.${args.stack}.yaml now points at the target; run again with --yes (or pulumi up) to apply.\n`);
    return;
  }
  try {
    await stack.up({ ...policy, onOutput: print });
  } catch (err) {
    fail(`rollback to ${describeRelease(plan.target)} failed:\n${failureSummary(err)}`, 1);
  }
  print(`rolled back ${args.stack} to ${describeRelease(plan.target)}; Pulumi.${args.stack}.yaml pins it until the next release.\n`);
}

main().catch((err: unknown) => fail(`rollback: ${failureSummary(err)}`, 1));
