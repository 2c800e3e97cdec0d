-- Shared by the bench's wrk scripts (loaded with dofile): the machine-readable summary that
-- bench/run.py parses, printed once by wrk's done() as one line "BENCH-JSON {...}".

local report = {}

-- Latency percentiles, in microseconds, that the harness reads.
local PERCENTILES = { 50, 90, 99, 99.9 }

function report.done(summary, latency, requests)
  local errors = summary.errors
  local parts = {}
  for _, p in ipairs(PERCENTILES) do
    parts[#parts + 1] = string.format('"%s": %d', tostring(p), latency:percentile(p))
  end
  io.write(string.format(
    'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, '
      .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
      .. '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "stdev": %.1f, '
      .. '"percentiles": {%s}}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency.min, latency.mean, latency.max, latency.stdev, table.concat(parts, ", ")
  ))
end

-- Give every wrk thread a distinct id (0, 1, ...), readable as the global `id` in init().
local next_id = 0
function report.setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

-- args[i] as a string, or `default` when absent or "-".
function report.arg(args, i, default)
  local value = args[i]
  if value == nil or value == "-" or value == "" then
    return default
  end
  return value
end

function report.headers(token)
  local headers = { ["Content-Type"] = "application/json" }
  if token then
    headers["Authorization"] = "Bearer " .. token
  end
  return headers
end

-- One Alertmanager alert as JSON (names are generated ASCII: no escaping needed).
function report.alert(status, alertname, namespace, pod)
  return string.format(
    '{"status": "%s", "labels": {"alertname": "%s", "namespace": "%s", "pod": "%s", '
      .. '"severity": "warning"}, "annotations": {"summary": "bench"}}',
    status, alertname, namespace, pod
  )
end

function report.webhook(status, alerts)
  return '{"version": "4", "receiver": "kubernaut", "status": "' .. status
    .. '", "alerts": [' .. table.concat(alerts, ", ") .. "]}"
end

-- Stop this wrk thread after `limit` responses (0: never); for request-count-limited runs.
function report.limit_responses(limit)
  if limit <= 0 then
    return nil
  end
  local seen = 0
  return function()
    seen = seen + 1
    if seen == limit then
      -- wrk itself runs for its whole duration: tell the harness, which interrupts it (SIGINT
      -- ends wrk early with its normal report) once every thread has said so.
      io.write("BENCH-LIMIT-REACHED\n")
      io.flush()
      wrk.thread:stop()
    end
  end
end

return report
