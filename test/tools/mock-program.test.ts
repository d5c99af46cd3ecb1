// tools/mock-program.ts's pure parts; runProgram itself runs under every program test (through
// test/harness.ts), the manifest renderer and the bench.
import { describe, expect, it } from "vitest";
import { SECRET_PLACEHOLDER, autoName, fakePassword, hex, plainStrings, redactSecrets, unwrapSecrets } from "../../tools/mock-program";

const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
const props = {
  metadata: { name: "clickvote-db" },
  stringData: secret({ password: "pw1", url: "postgres://u:pw1@h/db" }),
  data: [secret("token"), "plain"],
  replicas: 1,
};

describe("tools/mock-program", () => {
  it("unwraps secrets into what the provider sees", () => {
    expect(unwrapSecrets(props)).toEqual({
      metadata: { name: "clickvote-db" },
      stringData: { password: "pw1", url: "postgres://u:pw1@h/db" },
      data: ["token", "plain"],
      replicas: 1,
    });
  });

  it("redacts every secret leaf and keeps the secret's shape", () => {
    expect(redactSecrets(props)).toEqual({
      metadata: { name: "clickvote-db" },
      stringData: { password: SECRET_PLACEHOLDER, url: SECRET_PLACEHOLDER },
      data: [SECRET_PLACEHOLDER, "plain"],
      replicas: 1,
    });
    expect(redactSecrets(secret(null))).toBeNull();
  });

  it("lists the strings state would hold in plain text, none from inside a secret", () => {
    expect(plainStrings(props).sort()).toEqual(["clickvote-db", "plain"]);
  });

  it("names and passwords are deterministic", () => {
    expect(hex("x")).toMatch(/^[0-9a-f]{64}$/);
    expect(autoName("clickvote-app")).toBe(`clickvote-app-${hex("clickvote-app").slice(0, 8)}`);
    expect(fakePassword("db")).toMatch(/^pw[0-9a-f]{30}$/);
    expect(fakePassword("db")).toBe(fakePassword("db"));
    expect(fakePassword("db")).not.toBe(fakePassword("cache"));
  });
});
