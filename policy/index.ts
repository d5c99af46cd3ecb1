// The Clickvote guardrails policy pack. Run it locally with
//   pulumi preview --stack <stack> --policy-pack policy [--policy-pack-config <file>]
// (see docs/guardrails.md; tools/policy-config.ts writes the config from a stack's settings).
// The policies live in ./policies so tests can call them without starting the analyzer server.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("clickvote-guardrails", {
  description: "Pod security, resources, pinned images, probes, disruption budgets, data retention, secrets and Service exposure for Clickvote.",
  enforcementLevel: "mandatory",
  policies,
});
