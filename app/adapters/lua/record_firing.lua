-- Count one firing occurrence of a fingerprint, claiming the fingerprint when nobody holds it.
-- A claim is "pending" until its holder confirms the created resource; concurrent repeats are
-- counted as duplicates of the pending claim. A pending claim lives only ARGV[3] ms, so a dead
-- holder never leaves the fingerprint stuck.
-- KEYS[1]  the fingerprint's record, a hash: s state (pending|created|released), c count,
--          f first seen ms, l last seen ms, r resolved ms, t claim token, ns/n resource
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  record TTL, ms (sliding: every occurrence renews it)
-- ARGV[3]  claim TTL, ms
-- ARGV[4]  claim token
-- ARGV[5]  namespace of the resource the claimer will create
-- ARGV[6]  name of the resource the claimer will create
-- Reply:   {claimed 1|0, occurrence count, namespace, name, first seen ms}
local key = KEYS[1]
local state = redis.call('HGET', key, 's')
local count = redis.call('HINCRBY', key, 'c', 1)
redis.call('HSETNX', key, 'f', ARGV[1])
redis.call('HSET', key, 'l', ARGV[1])
redis.call('HDEL', key, 'r')
if state == 'created' or state == 'pending' then
  if state == 'created' then
    redis.call('PEXPIRE', key, ARGV[2])
  end
  local rec = redis.call('HMGET', key, 'ns', 'n', 'f')
  return {0, count, rec[1], rec[2], tonumber(rec[3])}
end
redis.call('HSET', key, 's', 'pending', 't', ARGV[4], 'ns', ARGV[5], 'n', ARGV[6])
redis.call('PEXPIRE', key, ARGV[3])
return {1, count, ARGV[5], ARGV[6], tonumber(redis.call('HGET', key, 'f'))}
