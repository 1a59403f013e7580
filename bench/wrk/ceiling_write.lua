-- The durable-write ceiling: POST <BENCH_CEILING_PREFIX>/customers/{id}/changes on bench-baseline,
-- one row inserted and committed per request (a body shaped like Custodian's contact POST).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local prefix, rows
local headers = { ["Content-Type"] = "application/json" }
local n = 0

function init(args)
  prefix = common.env("BENCH_CEILING_PREFIX")
  rows = tonumber(common.env("BENCH_CEILING_ROWS"))
  common.seed_random()
end

function request()
  n = n + 1
  local body = string.format('{"email":"bench-%d-%d@example.com","phonePrivate":"+49 00000000"}', id, n)
  return wrk.format("POST", prefix .. "/customers/" .. math.random(rows) .. "/changes", headers, body)
end

function done(summary, latency, requests)
  common.report(summary, latency)
end
