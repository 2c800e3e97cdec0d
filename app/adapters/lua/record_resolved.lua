-- Remember that a fingerprint's problem resolved; a resolved alert never claims or creates.
-- KEYS[1]  the fingerprint's record (see record_firing.lua)
-- ARGV[1]  now, ms since the epoch
-- Reply:   {} when there is no record, else {occurrence count, namespace, name, state, first ms}
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  return {}
end
redis.call('HSET', key, 'r', ARGV[1])
local rec = redis.call('HMGET', key, 'c', 'ns', 'n', 's', 'f')
return {tonumber(rec[1]), rec[2], rec[3], rec[4], tonumber(rec[5])}
