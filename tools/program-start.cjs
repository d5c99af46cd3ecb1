// Preloaded into every Node.js process that runs the program (Pulumi.yaml `nodeargs: --require
// ./tools/program-start.cjs`) and the policy pack (policy/main.js), before the Pulumi SDK loads.
//
// 1. Node's on-disk V8 code cache (module.enableCompileCache, Node ≥ 22.1; a no-op on older
//    Node): the SDK pulls in about 760 modules, and compiling them was the largest single cost
//    of a no-op preview (`npm run bench`, README "Benchmarks"). The cache lives in the OS temp
//    directory (or NODE_COMPILE_CACHE), is keyed by file content, and a stale or unwritable cache
//    only costs the compile it would have saved. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
// 2. tsx's CommonJS hook: the program is TypeScript, transpiled on load without type checking
//    (`npm run typecheck` checks the types in CI).
"use strict";
const nodeModule = require("node:module");
if (typeof nodeModule.enableCompileCache === "function") nodeModule.enableCompileCache();
require("tsx/cjs");
