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
    // a deploy took 11 min and a clone-to-vote 15 min at load 14 on 2 shared cores
    testTimeout: 2_400_000,
    hookTimeout: 2_400_000,
  },
});
