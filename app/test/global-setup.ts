// Makes `npm test` self-sufficient: builds dist/ (several tests run the real
// compiled entry points) and starts PostgreSQL + Redis unless already running.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { APP_DIR } from "./support/services.js";

const SCRIPT = path.join(APP_DIR, "scripts", "test-services.sh");

function servicesRunning(): boolean {
  try {
    execFileSync("bash", [SCRIPT, "status"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export default function setup(): () => void {
  execFileSync(process.execPath, [path.join(APP_DIR, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], {
    cwd: APP_DIR,
    stdio: "inherit",
  });
  const startedHere = !servicesRunning();
  if (startedHere) execFileSync("bash", [SCRIPT, "start"], { stdio: "inherit" });
  return () => {
    // Leave servers someone else started (CI step, developer) running.
    if (startedHere) execFileSync("bash", [SCRIPT, "stop"], { stdio: "inherit" });
  };
}
