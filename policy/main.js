// Entry point of the policy pack (package.json "main"). Pulumi's policy-pack runner registers
// ts-node with type checking forced on, which costs seconds of CPU on every preview and update
// that uses the pack; here the TypeScript sources are only transpiled (tsx, esbuild). Their
// types are checked by `npm run typecheck` (the root tsconfig.json includes policy/*.ts) in CI.
"use strict";
require("tsx/cjs/api").require("./index.ts", __filename);
