-- Tell the status writer what to write about a fingerprint's flapping (flapping.lua keeps its
-- state changes): that it started, that it stopped (no change for a whole window), or nothing
-- yet. Nothing changes here: flapping_written.lua records a write once it is made, so a
-- failed write is simply taken again.
-- KEYS[1]  the fingerprint's transitions (see flapping.lua)
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  flapping window, ms
-- Reply:   {0} nothing to write; {1, due ms} not yet (requeue for then);
--          {2, "on"|"off", changes in the window, since ms, ms when it stops (or stopped),
--           namespace, name} write these now (the name as the record holds it)
local key = KEYS[1]
local now, window = tonumber(ARGV[1]), tonumber(ARGV[2])
local t = redis.call('HMGET', key, 'x', 'fs', 'fn', 'fw')
if not t[2] then
  return {0}
end
local changes, last = 0, 0
for v in string.gmatch(t[1] or '', '%d+') do
  if tonumber(v) > now - window then
    changes = changes + 1
  end
  last = math.max(last, tonumber(v))
end
local namespace, name = string.match(t[3] or '-', '^(%S+) (%S+)$')
local stops = last + window
if stops <= now then
  if not namespace or t[4] ~= 'on' then
    redis.call('HDEL', key, 'fs', 'fn')
    return {0}
  end
  return {2, 'off', changes, tonumber(t[2]), stops, namespace, name}
end
if t[4] == 'on' or not namespace then
  return {1, stops}
end
return {2, 'on', changes, tonumber(t[2]), stops, namespace, name}
