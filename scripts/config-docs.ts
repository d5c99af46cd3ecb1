// Moved to tools/config-docs.ts. This re-export only keeps test/config-reference.test.ts (owned by
// the settings refactor) compiling until it imports from tools/; delete it then.
export * from "../tools/config-docs";
