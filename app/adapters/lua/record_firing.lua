-- Count one firing occurrence of a fingerprint, claiming the fingerprint when nobody holds it.
-- A claim is "pending" until its holder confirms the created resource; concurrent repeats are
-- counted as duplicates of the pending claim. A pending claim lives only ARGV[3] ms, so a dead
-- holder never leaves the fingerprint stuck.
-- KEYS[1]  the fingerprint's record, a hash: s state (p pending, c created, a aggregated, r released),
--          c count,
--          f first seen ms, l last seen ms, r resolved ms, t claim token, ns/n resource,
--          d ms when the count last became unwritten to Kubernetes, w ms of the last status write
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  record TTL, ms (sliding: every occurrence renews it)
-- ARGV[3]  claim TTL, ms
-- ARGV[4]  claim token
-- ARGV[5]  namespace of the resource the claimer will create
-- ARGV[6]  name of the resource the claimer will create
-- ARGV[7]  least ms between two status writes of one resource
-- Reply:   {claimed 1|0, occurrence count, namespace, name, first seen ms, due ms}
--          due > 0: the count just became unwritten; the caller queues a status write for then
local key = KEYS[1]
local now = tonumber(ARGV[1])
local state = redis.call('HGET', key, 's')
local count = redis.call('HINCRBY', key, 'c', 1)
redis.call('HSETNX', key, 'f', ARGV[1])
redis.call('HSET', key, 'l', ARGV[1])
redis.call('HDEL', key, 'r')
if state == 'c' or state == 'p' or state == 'a' then
  if state ~= 'p' then
    redis.call('PEXPIRE', key, ARGV[2])
  end
  local rec = redis.call('HMGET', key, 'ns', 'n', 'f', 'd', 'w')
  local due = 0
  -- An aggregated signal's repeats are not the storm resource's occurrences. A mark older than
  -- a minute was never queued (its writer died): queue it again.
  if state ~= 'a' and (not rec[4] or now - tonumber(rec[4]) > 60000) then
    redis.call('HSET', key, 'd', ARGV[1])
    due = math.max(now, tonumber(rec[5] or 0) + tonumber(ARGV[7]))
  end
  return {0, count, rec[1], rec[2], tonumber(rec[3]), due}
end
redis.call('HSET', key, 's', 'p', 't', ARGV[4], 'ns', ARGV[5], 'n', ARGV[6])
redis.call('PEXPIRE', key, ARGV[3])
return {1, count, ARGV[5], ARGV[6], tonumber(redis.call('HGET', key, 'f')), 0}
