import { defineConfig } from "vitest/config";

// The end-to-end suite: one local cluster, so files run one after another.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
