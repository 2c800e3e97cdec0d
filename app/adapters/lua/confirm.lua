-- Mark a claim as backed by a created resource and start the record's sliding TTL.
-- KEYS[1]  the fingerprint's record (see record_firing.lua)
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  record TTL, ms
-- ARGV[3]  claim token
-- ARGV[4]  namespace of the created resource
-- ARGV[5]  name of the created resource
-- Reply:   1 confirmed; 2 the claim had expired and the record was written anew;
--          0 another holder took the fingerprint over meanwhile (nothing written)
local key = KEYS[1]
local token = redis.call('HGET', key, 't')
if token == ARGV[3] then
  redis.call('HSET', key, 's', 'created', 'ns', ARGV[4], 'n', ARGV[5])
  redis.call('HDEL', key, 't')
  redis.call('PEXPIRE', key, ARGV[2])
  return 1
end
if redis.call('EXISTS', key) == 1 then
  return 0
end
redis.call('HSET', key, 's', 'created', 'c', 1, 'f', ARGV[1], 'l', ARGV[1], 'ns', ARGV[4],
  'n', ARGV[5])
redis.call('PEXPIRE', key, ARGV[2])
return 2
