-- Workload identity: every request one alert about a pod of one of a few Deployments (their
-- pods are `bench-d<k>-rs-<i>`, seeded by bench/stack.py), cycling over every pod, so that
-- thousands of signals about a hundred pods make one resource per Deployment.
-- args: tag (unique per run: a signal name of its own), deployments, pods per Deployment
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

local alertname, deployments, pods, headers
local counter = 0

function init(args)
  alertname = "BenchWorkload" .. report.arg(args, 1, "bench")
  deployments = tonumber(report.arg(args, 2, "4"))
  pods = tonumber(report.arg(args, 3, "25"))
  headers = report.headers(nil)
end

function request()
  counter = counter + 1
  local deployment = counter % deployments
  local pod = math.floor(counter / deployments) % pods
  local name = "bench-d" .. deployment .. "-rs-" .. pod
  local body = report.webhook("firing", {
    report.alert("firing", alertname, "production", name),
  })
  return wrk.format("POST", nil, headers, body)
end
