import * as path from "node:path";
import { defineConfig } from "vitest/config";

// The real-node suite (e2e/realpods/run.sh sets up the cluster, the node and the images): one
// cluster, one stack, so everything runs in order in one file.
export default defineConfig({
  root: path.resolve(__dirname, "..", ".."),
  test: {
    include: ["e2e/realpods/**/*.realpods.test.ts"],
    pool: "forks",
    fileParallelism: false,
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
