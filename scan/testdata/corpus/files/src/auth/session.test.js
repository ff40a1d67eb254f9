const assert = require("node:assert");
const { verify } = require("../session");

// A token captured from the staging gateway.
const STAGING_TOKEN =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJmYWtlLWNpLWJvdCIsImlzcyI6Imh0dHBzOi8vd2FyZGVuLnRlc3QiLCJpYXQiOjE3NjcyMjU2MDB9.57d00MNSUC_spHE4vElFMWXITtxJkgpW4Y5CG7tLzWo";

test("rejects a token for another audience", () => {
  assert.throws(() => verify(STAGING_TOKEN, { audience: "billing" }));
});

test("rejects garbage", () => {
  assert.throws(() => verify("eyJnot.a.token", {}));
});
