-- The storage-read ceiling: GET <BENCH_CEILING_PREFIX>/customers/{id} on bench-baseline, a random
-- row of 1..BENCH_CEILING_ROWS per request (a ~500-byte JSON document read by primary key).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local prefix, rows

function init(args)
  prefix = common.env("BENCH_CEILING_PREFIX")
  rows = tonumber(common.env("BENCH_CEILING_ROWS"))
  common.seed_random()
end

function request()
  return wrk.format("GET", prefix .. "/customers/" .. math.random(rows), nil, nil)
end

function done(summary, latency, requests)
  common.report(summary, latency)
end
