-- Give a claim up after its resource could not be created, so the next delivery claims again.
-- The failed delivery's own occurrence is taken back (the sender got a 503 and will retry);
-- repeats that were counted against the pending claim are kept.
-- KEYS[1]  the fingerprint's record (see record_signals.lua)
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  record TTL, ms
-- ARGV[3]  claim token
-- Reply:   1 released, 0 the claim was not (or no longer) this holder's
local key = KEYS[1]
if redis.call('HGET', key, 't') ~= ARGV[3] then
  return 0
end
local count = redis.call('HINCRBY', key, 'c', -1)
if count <= 0 then
  redis.call('DEL', key)
  return 1
end
redis.call('HSET', key, 's', 'r')
redis.call('HDEL', key, 't')
redis.call('PEXPIRE', key, ARGV[2])
return 1
