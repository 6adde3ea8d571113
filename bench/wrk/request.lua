-- One request shape for wrk, from the environment (set by bench/run.py):
--   BENCH_METHOD  GET, POST or PUT (default GET)
--   BENCH_AUTH    the Authorization header value, if any
--   BENCH_BODY    a JSON body; BENCH_BODY2, when set, alternates with it
--                 (so that a PUT of a setting really writes every time)
-- done() prints one line "BENCH_JSON {...}" that bench/run.py parses.
local method = os.getenv("BENCH_METHOD") or "GET"
local auth = os.getenv("BENCH_AUTH")
local body = os.getenv("BENCH_BODY")
local body2 = os.getenv("BENCH_BODY2")

wrk.method = method
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end
if body and body ~= "" then
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = body
end

if body2 and body2 ~= "" then
  local requests, n = nil, 0
  request = function()
    if not requests then -- built on first use, once wrk has set the Host header
      requests = { wrk.format(nil, nil, nil, body), wrk.format(nil, nil, nil, body2) }
    end
    n = n + 1
    return requests[n % 2 + 1]
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, '
      .. '"read": %d, "write": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
