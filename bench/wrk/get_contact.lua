-- (b) Custodian: GET /v1/customers/{id}/self-service/contact-data, a random generated customer
-- per request.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local ids, headers

function init(args)
  ids = common.load_ids()
  headers = { ["X-API-KEY"] = common.env("BENCH_API_KEY") }
  common.seed_random()
end

function request()
  local c = ids[math.random(#ids)]
  return wrk.format("GET", "/v1/customers/" .. c .. "/self-service/contact-data", headers, nil)
end

function done(summary, latency, requests)
  common.report(summary, latency)
end
