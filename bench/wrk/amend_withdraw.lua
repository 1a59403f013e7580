-- (d) Custodian: POST /v1/customers/{id}/self-service/address-data (the tenant's address policy
-- is CHANGES_REQUIRE_VERIFICATION, so this creates a pending amendment), then
-- DELETE /v1/customers/{id}/self-service/amendment/{amendmentId} (withdraw) with the id the POST
-- returned. One pair = 2 requests.
--
-- A customer may have only one pending amendment per domain (a second POST answers 409), so each
-- wrk thread owns a disjoint slice of the customers and never has two requests in flight for the
-- same customer. wrk's response() is not told which request it answers, so every request carries
-- X-Request-Id "p-<customer>-<n>" or "d-<customer>-<n>", which Custodian echoes back.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local common = dofile(here .. "common.lua")

local ids, key
local busy = {}      -- customer id -> true while a POST/DELETE is in flight or an amendment is pending
local to_withdraw = {} -- stack of {customer, amendment}
local n = 0
local body = '{"street":"Am Bahnhof","houseNumber":"90","zipCode":"12133","city":"Munich","countryCode":"DE"}'

pairs_done, posts_ok, post_failed, post_conflict, delete_failed, unmatched, no_free = 0, 0, 0, 0, 0, 0, 0
first_error = nil

function init(args)
  local all = common.load_ids()
  local nthreads = tonumber(common.env("BENCH_THREADS"))
  ids = {}
  for i, c in ipairs(all) do
    if (i - 1) % nthreads == id - 1 then ids[#ids + 1] = c end
  end
  assert(#ids > 0, "no customers for thread " .. id)
  key = common.env("BENCH_API_KEY")
  common.seed_random()
end

function request()
  n = n + 1
  local w = table.remove(to_withdraw)
  if w then
    return wrk.format("DELETE", "/v1/customers/" .. w[1] .. "/self-service/amendment/" .. w[2],
      { ["X-API-KEY"] = key, ["X-Request-Id"] = "d-" .. w[1] .. "-" .. n }, nil)
  end
  local c
  for _ = 1, 100 do
    local candidate = ids[math.random(#ids)]
    if not busy[candidate] then c = candidate; break end
  end
  if not c then
    no_free = no_free + 1
    c = ids[math.random(#ids)]
  end
  busy[c] = true
  return wrk.format("POST", "/v1/customers/" .. c .. "/self-service/address-data",
    { ["X-API-KEY"] = key, ["X-Request-Id"] = "p-" .. c .. "-" .. n, ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, resp_body)
  local rid = headers["x-request-id"] or headers["X-Request-Id"] or ""
  local kind, c = rid:match("^(%a)%-(%d+)%-")
  c = tonumber(c)
  if not kind then
    unmatched = unmatched + 1
    return
  end
  if status ~= 200 and not first_error then
    first_error = status .. " " .. kind .. " " .. resp_body
  end
  if kind == "p" then
    local aid = status == 200 and resp_body:match('"id"%s*:%s*(%d+)')
    if aid then
      posts_ok = posts_ok + 1
      table.insert(to_withdraw, { c, aid })
    elseif status == 409 then
      -- Someone else's amendment is pending on this customer: leave it out for the rest of the run.
      post_conflict = post_conflict + 1
    else
      post_failed = post_failed + 1
      busy[c] = nil
    end
  else
    busy[c] = nil
    if status == 200 then
      pairs_done = pairs_done + 1
    else
      delete_failed = delete_failed + 1
    end
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local pd = common.sum("pairs_done")
  local failed = common.sum("post_failed") + common.sum("post_conflict") + common.sum("delete_failed")
  for _, t in ipairs(threads) do
    local fe = t:get("first_error")
    if fe then io.write("first non-200 response: " .. fe .. "\n") end
  end
  common.report(summary, latency, {
    pairs = pd,
    pairs_per_s = string.format("%.1f", pd / secs),
    posts_ok = common.sum("posts_ok"),
    post_conflict = common.sum("post_conflict"),
    post_failed = common.sum("post_failed"),
    delete_failed = common.sum("delete_failed"),
    unmatched = common.sum("unmatched"),
    no_free_customer = common.sum("no_free"),
  }, failed)
end
