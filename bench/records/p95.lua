-- wrk script: the request given on the command line unchanged; done() prints p50/p95 in ms, the
-- requests answered and those that timed out (wrk's 2 s): the percentiles only see the answered.
done = function(summary, latency, requests)
  io.write(string.format("P95_MS %.3f\n", latency:percentile(95) / 1000))
  io.write(string.format("P50_MS %.3f\n", latency:percentile(50) / 1000))
  io.write(string.format("ANSWERED %d\n", summary.requests))
  io.write(string.format("TIMEOUTS %d\n", summary.errors.timeout))
end
