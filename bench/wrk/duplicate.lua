-- The same webhook on every request: after the harness's priming request created the
-- fingerprints, every alert is a duplicate (or, with status "resolved", a resolve).
-- args: alerts per request, tag (makes the fingerprints of one scenario), status
--       (firing|resolved), bearer token ("-": none), responses per thread (0: unlimited)
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local report = dofile(here .. "report.lua")

setup = report.setup
done = report.done

function init(args)
  local count = tonumber(report.arg(args, 1, "1"))
  local tag = report.arg(args, 2, "bench")
  local status = report.arg(args, 3, "firing")
  local token = report.arg(args, 4, nil)
  response = report.limit_responses(tonumber(report.arg(args, 5, "0")))
  local alerts = {}
  for i = 1, count do
    -- One signal name per alert: each is its own storm scope, so priming never tips a storm.
    alerts[i] = report.alert(status, "BenchDuplicate" .. tag .. "x" .. i, "production",
      "dup-" .. i)
  end
  wrk.method = "POST"
  wrk.headers = report.headers(token)
  wrk.body = report.webhook(status, alerts)
end
