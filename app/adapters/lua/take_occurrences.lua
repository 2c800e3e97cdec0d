-- Take a fingerprint's unwritten occurrences for one status write. Only the worker that popped
-- the fingerprint from the queue calls this, and at most once per ARGV[2] ms per resource.
-- An ended resource's last figures (xn, xc, xf, xl: record_signals.lua) are taken first.
-- KEYS[1]  the fingerprint's record (see record_signals.lua)
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  least ms between two status writes of one resource
-- Reply:   {0} nothing to write; {1, due ms} not yet (requeue for then);
--          {2, count, first seen ms, last seen ms, namespace, name, more 0|1, signals left out,
--           then per distinct signal (identity.mode workload): its "<type>|<kind>|<target
--           name>|<name>", its "<count> <last seen ms>"} write these now (the name as the record
--           holds it: see record_signals.lua); more: the record has figures of its own to
--           write too (take it again)
local key = KEYS[1]
local now = tonumber(ARGV[1])
local ended = redis.call('HMGET', key, 'xn', 'xc', 'xf', 'xl', 'd')
if ended[1] then
  redis.call('HDEL', key, 'xn', 'xc', 'xf', 'xl')
  local namespace, name = string.match(ended[1], '^(%S+) (%S+)$')
  local more = ended[5] and 1 or 0
  return {2, tonumber(ended[2]), tonumber(ended[3]), tonumber(ended[4]), namespace, name, more, 0}
end
local rec = redis.call('HMGET', key, 's', 'd', 'w', 'c', 'f', 'l', 'ns', 'n')
if not rec[1] or not rec[2] then
  return {0}
end
if rec[1] ~= 'c' then
  return {1, now + 1000}
end
local due = tonumber(rec[3] or 0) + tonumber(ARGV[2])
if now < due then
  return {1, due}
end
redis.call('HSET', key, 'w', ARGV[1])
redis.call('HDEL', key, 'd')
local reply = {2, tonumber(rec[4]), tonumber(rec[5]), tonumber(rec[6]), rec[7], rec[8], 0, 0}
if redis.call('HEXISTS', key, 'gn') == 1 then
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'g:' then
      reply[#reply + 1] = string.sub(all[i], 3)
      reply[#reply + 1] = all[i + 1]
    elseif all[i] == 'gt' then
      reply[8] = tonumber(all[i + 1])
    end
  end
end
return reply
