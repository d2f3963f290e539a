-- Shared by the bench scripts (loaded with dofile): report one
-- machine-readable line that deploy/bench.sh turns into its table.
--
-- errors = HTTP errors (wrk counts statuses >= 400; these routes never
-- redirect) + socket errors (connect, read, write, timeout).

function done(summary, latency, requests)
   local e = summary.errors
   local socket_errors = e.connect + e.read + e.write + e.timeout
   local seconds = summary.duration / 1e6
   io.write(string.format(
      "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.3f p99_ms=%.3f errors=%d http_errors=%d socket_errors=%d\n",
      summary.requests, seconds, summary.requests / seconds,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      e.status + socket_errors, e.status, socket_errors))
end

-- Percent-encode a value for a form body.
function urlencode(s)
   return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end
