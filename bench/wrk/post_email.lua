-- (c2) Custodian: POST /v1/customers/{id}/self-service/contact-data on a random generated
-- customer, changing the e-mail address alone: the phone number sent is the one every generated
-- customer was imported with, so a write changes one search term. (c) sets a new phone number as
-- well, which on the first write to a customer changes its four phone terms too; (c2) shows how
-- much of the cost at a million customers that is. Not in the default scenario list.
--
-- BENCH_STATUS_HISTOGRAM=1 adds a response() that counts statuses (costs wrk some CPU).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local ids, headers
local n = 0
statuses = {}

function init(args)
  ids = common.load_ids()
  headers = { ["X-API-KEY"] = common.env("BENCH_API_KEY"), ["Content-Type"] = "application/json" }
  common.seed_random()
end

function request()
  local c = ids[math.random(#ids)]
  n = n + 1
  local body = string.format('{"email":"bench-%d-%d@example.com","phonePrivate":"+49 30 1234567"}', id, n)
  return wrk.format("POST", "/v1/customers/" .. c .. "/self-service/contact-data", headers, body)
end

if os.getenv("BENCH_STATUS_HISTOGRAM") == "1" then
  function response(status, hdrs, body)
    statuses[status] = (statuses[status] or 0) + 1
    if status ~= 200 and (not first_error) then first_error = body end
  end
end

function done(summary, latency, requests)
  local extra = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, count in pairs(s or {}) do
      extra["status_" .. code] = (extra["status_" .. code] or 0) + count
    end
    local fe = t:get("first_error")
    if fe then io.write("first non-200 body: " .. fe .. "\n") end
  end
  common.report(summary, latency, extra)
end
