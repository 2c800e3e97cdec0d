-- A storm: one signal name in one namespace (one storm scope), a distinct pod on every request
-- (per wrk thread and per request), so thousands of distinct resources crash at once.
-- args: tag (unique per run: each run is a new storm)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local alertname, prefix, headers
local counter = 0

function init(args)
  local tag = report.arg(args, 1, "bench")
  alertname = "BenchStorm" .. tag
  prefix = "storm-t" .. tostring(id) .. "-"
  headers = report.headers(nil)
end

function request()
  counter = counter + 1
  local body = report.webhook("firing", {
    report.alert("firing", alertname, "production", prefix .. counter),
  })
  return wrk.format("POST", nil, headers, body)
end
