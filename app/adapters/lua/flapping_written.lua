-- Record that the status writer wrote a fingerprint's flapping start ("on") or stop ("off").
-- KEYS[1]  the fingerprint's transitions (see flapping.lua)
-- ARGV[1]  "on" or "off"
-- ARGV[2]  flapping window, ms
-- Reply:   1
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then
  return 1
end
if ARGV[1] == 'off' then
  redis.call('HDEL', key, 'fs', 'fn')
end
redis.call('HSET', key, 'fw', ARGV[1])
redis.call('PEXPIRE', key, ARGV[2])
return 1
