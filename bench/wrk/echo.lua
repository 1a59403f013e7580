-- (a2) baseline: POST /echo on bench-baseline with a small JSON body.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","phonePrivate":"+49 00000000"}'
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  common.report(summary, latency)
end
