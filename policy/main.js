// Entry point of the policy pack (package.json "main"). Pulumi's policy-pack runner registers
// ts-node with type checking forced on, which costs seconds of CPU on every preview and update
// that uses the pack; tsx (esbuild), registered after it, takes over .ts files and only
// transpiles them. Their types are checked by `npm run typecheck` (the root tsconfig.json
// includes policy/*.ts) in CI. (tsx's scoped require would load a second copy of the Pulumi
// SDK, whose messages the runner then cannot serialize: hence the global registration.)
// The V8 code cache (tools/program-start.cjs says why) is enabled first, so the SDK's modules and
// the pack's own are compiled once, not on every run.
"use strict";
const nodeModule = require("node:module");
if (typeof nodeModule.enableCompileCache === "function") nodeModule.enableCompileCache();
require("tsx/cjs/api").register();
require("./index.ts");
