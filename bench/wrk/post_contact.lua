-- (c) Custodian: POST /v1/customers/{id}/self-service/contact-data on a random generated
-- customer. The tenant's contact policy is CHANGES_WITHOUT_VERIFICATION, so every accepted
-- request applies the change at once (a durable write). The e-mail address changes per request,
-- so every write is a real change.
--
-- BENCH_STATUS_HISTOGRAM=1 adds a response() that counts statuses (costs wrk some CPU).
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

-- The phone number sent (post_email.lua sets POST_PHONE before loading this script).
local phone = POST_PHONE or "+49 00000000"
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
  local body = string.format('{"email":"bench-%d-%d@example.com","phonePrivate":"%s"}', id, n, phone)
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
