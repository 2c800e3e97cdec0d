-- Take a storm's aggregation figures for one status write (see take_occurrences.lua).
-- KEYS[1]  scope hash (see record_signals.lua)
-- KEYS[2]  list of affected resources
-- ARGV[1]  now, ms since the epoch
-- Reply:   {0} nothing to write (no storm, or nothing new); {1, due ms} the storm resource is
--          still being created; {2, alerts, truncated, updated ms, namespace, name, affected...}
local rec = redis.call('HMGET', KEYS[1], 'st', 'd', 'ac', 'tr', 'up', 'ns', 'n')
if not rec[1] or not rec[2] then
  return {0}
end
if rec[1] ~= 'created' then
  return {1, tonumber(ARGV[1]) + 1000}
end
redis.call('HDEL', KEYS[1], 'd')
local reply = {2, tonumber(rec[3]), tonumber(rec[4]), tonumber(rec[5]), rec[6], rec[7]}
for _, resource in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  table.insert(reply, resource)
end
return reply
