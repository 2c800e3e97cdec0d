-- A new fingerprint on every request (one alert): every request creates a RemediationRequest.
-- Fingerprints vary per wrk thread and per request; every `per_scope` consecutive ones share a
-- signal name (a storm scope), fewer than the pattern threshold, so no storm is ever detected.
-- args: tag (unique per run), fingerprints per scope (default 5), bearer token ("-": none)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local tag, per_scope, headers
local counter = 0

function init(args)
  tag = report.arg(args, 1, "bench") .. "t" .. tostring(id)
  per_scope = tonumber(report.arg(args, 2, "5"))
  headers = report.headers(report.arg(args, 3, nil))
end

function request()
  counter = counter + 1
  local scope = math.floor(counter / per_scope)
  local body = report.webhook("firing", {
    report.alert("firing", "BenchNew" .. tag .. "s" .. scope, "production", "new-" .. counter),
  })
  return wrk.format("POST", nil, headers, body)
end
