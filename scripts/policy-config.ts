// Moved to tools/policy-config.ts. This re-export only keeps test/policy*.test.ts (owned by the
// settings refactor) compiling until they import from tools/; delete it then.
export * from "../tools/policy-config";
