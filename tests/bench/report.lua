-- Shared by the benchmark's wrk scripts (dofile'd): prints one machine-readable line that
-- tests/bench/run.sh collects into the table. Latencies are wrk's (microseconds).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d errors=%d bytes=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout, summary.bytes))
end
