-- Shared by the bench/wrk/*.lua scripts (loaded with dofile): thread numbering, the customer-id
-- list, and a done() that prints one machine-readable line for bench/summarize.py:
--   BENCH_RESULT key=value ...
-- Environment: BENCH_IDS_FILE (one customer id per line), BENCH_API_KEY (X-API-KEY value).

local common = {}

threads = {}

-- Runs in wrk's main Lua state once per thread; `id` becomes a global in that thread's state.
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function common.env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    error(name .. " is not set")
  end
  return v
end

function common.load_ids()
  local ids = {}
  for line in io.lines(common.env("BENCH_IDS_FILE")) do
    local n = tonumber(line)
    if n then ids[#ids + 1] = n end
  end
  assert(#ids > 0, "no customer ids in BENCH_IDS_FILE")
  return ids
end

function common.seed_random()
  math.randomseed(os.time() * 1000 + (id or 0) * 7919)
  -- LuaJIT's first values after seeding are poorly mixed.
  for _ = 1, 10 do math.random() end
end

-- Sums a per-thread global counter over all threads (main state, in done()).
function common.sum(name)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + (tonumber(t:get(name)) or 0)
  end
  return total
end

-- `extra` maps names to numbers; `non2xx` overrides wrk's own count of statuses > 399.
function common.report(summary, latency, extra, non2xx)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local fields = {
    string.format("requests=%d", summary.requests),
    string.format("seconds=%.3f", secs),
    string.format("rps=%.1f", summary.requests / secs),
    string.format("p50_us=%d", latency:percentile(50)),
    string.format("p90_us=%d", latency:percentile(90)),
    string.format("p99_us=%d", latency:percentile(99)),
    string.format("max_us=%d", latency.max),
    string.format("non2xx=%d", non2xx or e.status),
    string.format("socket_errors=%d", e.connect + e.read + e.write + e.timeout),
    string.format("timeouts=%d", e.timeout),
  }
  for k, v in pairs(extra or {}) do
    fields[#fields + 1] = string.format("%s=%s", k, tostring(v))
  end
  io.write("BENCH_RESULT " .. table.concat(fields, " ") .. "\n")
end

return common
