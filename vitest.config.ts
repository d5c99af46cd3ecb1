import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "policy/**/*.test.ts"],
    // Pulumi's runtime is a process-wide singleton: one program run per file, files in separate forks.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
