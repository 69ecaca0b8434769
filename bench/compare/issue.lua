-- wrk script for bench/compare/issuance.sh: POSTs pre-made JSON bodies (one issuance request
-- each) round-robin over keep-alive connections. Environment:
--   BENCH_BODIES  directory holding 1.json .. N.json
--   BENCH_NBODIES N
--   BENCH_PATH    request path, e.g. /api/v1/certificates
--   BENCH_AUTH    Authorization header value ("" for none)
local dir = os.getenv("BENCH_BODIES")
local n = tonumber(os.getenv("BENCH_NBODIES"))
local path = os.getenv("BENCH_PATH")
local auth = os.getenv("BENCH_AUTH") or ""

local requests = {}
local next_index = 1
function init(args)
  -- Built here, not at load time: wrk.format takes the Host header from wrk.headers, which is
  -- only filled in for the thread.
  for i = 1, n do
    local f = assert(io.open(dir .. "/" .. i .. ".json", "rb"))
    local body = f:read("*a")
    f:close()
    local headers = { ["Content-Type"] = "application/json" }
    if auth ~= "" then headers["Authorization"] = auth end
    requests[i] = wrk.format("POST", path, headers, body)
  end
  -- Threads start at different bodies.
  next_index = math.random(n)
end

function request()
  next_index = next_index % n + 1
  return requests[next_index]
end

-- One machine-readable line: completed requests, non-2xx/3xx answers, socket errors, seconds.
function done(summary, latency, _)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d bad_status=%d socket_errors=%d seconds=%.3f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout,
    summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
