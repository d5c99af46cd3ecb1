/** Pulumi customTimeouts for a resource the engine waits on, from a number of seconds. */
export function timeouts(seconds: number): { create: string; update: string } {
  return { create: `${seconds}s`, update: `${seconds}s` };
}
