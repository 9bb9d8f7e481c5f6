-- One wrk scenario of bench/run.mjs, set by environment variables:
--
--   BENCH_METHOD, BENCH_PATH     request line
--   BENCH_HEADERS                "Name: value" lines joined by "\n"
--   BENCH_BODY                   request body, may contain {token}
--   BENCH_AUTH                   Authorization value, may contain {token}
--   BENCH_POOL                   file of tokens, one a line; when set,
--                                every request takes the next token
--   BENCH_PART, BENCH_PARTS      this run's share of the pool (0-based)
--   BENCH_THREADS                wrk's -t, to split the share per thread
--   BENCH_POOL_REUSE             1: a token may be sent again (userinfo,
--                                sign-in); otherwise running out counts
--                                as an error, because the token was used
--   BENCH_OUT                    file for the JSON summary
--
-- Each thread reads its own slice of the pool, so no token is sent twice
-- across threads or across runs that use different parts.

local threads = {}
local next_index = 0

local function env(name, default)
  local v = os.getenv(name)
  if v == nil or v == "" then return default end
  return v
end

local method = env("BENCH_METHOD", "GET")
local path = env("BENCH_PATH", "/")
local body = env("BENCH_BODY", nil)
local auth = env("BENCH_AUTH", nil)
local pool_file = env("BENCH_POOL", nil)

local headers = {}
for line in string.gmatch(env("BENCH_HEADERS", ""), "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  headers[name] = value
end

function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

local function fill(template, token)
  if template == nil then return nil end
  return (string.gsub(template, "{token}", function() return token end))
end

if pool_file == nil then
  wrk.method = method
  wrk.path = path
  wrk.body = body
  if auth ~= nil then headers["Authorization"] = auth end
  wrk.headers = headers
else
  local tokens = {}
  local position = 0
  wrapped = 0

  function init(args)
    local parts = tonumber(env("BENCH_PARTS", "1"))
    local part = tonumber(env("BENCH_PART", "0"))
    local nthreads = tonumber(env("BENCH_THREADS", "1"))
    local slices = parts * nthreads
    local mine = part * nthreads + thread_index
    local i = 0
    for line in io.lines(pool_file) do
      if line ~= "" then
        if i % slices == mine then tokens[#tokens + 1] = line end
        i = i + 1
      end
    end
    if #tokens == 0 then error("no tokens for this thread in " .. pool_file) end
  end

  function request()
    position = position + 1
    if position > #tokens then
      position = 1
      wrapped = wrapped + 1
    end
    local token = tokens[position]
    local h = {}
    for k, v in pairs(headers) do h[k] = v end
    if auth ~= nil then h["Authorization"] = fill(auth, token) end
    return wrk.format(method, path, h, fill(body, token))
  end
end

function done(summary, latency, requests)
  local wrapped_total = 0
  for _, thread in ipairs(threads) do
    wrapped_total = wrapped_total + (thread:get("wrapped") or 0)
  end
  if env("BENCH_POOL_REUSE", "0") == "1" then wrapped_total = 0 end

  local e = summary.errors
  local out = assert(io.open(env("BENCH_OUT", "wrk.json"), "w"))
  out:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
    '"pool_exhausted":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, wrapped_total))
  out:close()
end
