-- Back a claim by a resource and start the record's sliding TTL. The resource is either the one
-- the holder created, or an active one found in Kubernetes after Redis had lost the record: its
-- occurrences and first-seen time are then added, so counts continue where they were.
-- KEYS[1]  the fingerprint's record (see record_signals.lua)
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  record TTL, ms
-- ARGV[3]  claim token
-- ARGV[4]  namespace of the resource
-- ARGV[5]  name of the resource, as the record holds it (see record_signals.lua)
-- ARGV[6]  occurrences to add (an adopted resource's count, else 0)
-- ARGV[7]  first seen ms of an adopted resource, else 0
-- Reply:   the occurrence count; 0 when another holder took the fingerprint over meanwhile
local key = KEYS[1]
local token = redis.call('HGET', key, 't')
if token ~= ARGV[3] then
  if redis.call('EXISTS', key) == 1 then
    return 0
  end
  -- The claim expired while the resource was being created: write the record anew.
  redis.call('HSET', key, 'c', 1, 'f', ARGV[1], 'l', ARGV[1])
end
local count = redis.call('HINCRBY', key, 'c', tonumber(ARGV[6]))
if tonumber(ARGV[7]) > 0 then
  redis.call('HSET', key, 'f', ARGV[7])
end
redis.call('HSET', key, 's', 'c', 'ns', ARGV[4], 'n', ARGV[5])
redis.call('HDEL', key, 't')
redis.call('PEXPIRE', key, ARGV[2])
return count
