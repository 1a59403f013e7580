-- (a) baseline: GET /hello on bench-baseline. Only reporting; the request is wrk's static one.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

function done(summary, latency, requests)
  common.report(summary, latency)
end
