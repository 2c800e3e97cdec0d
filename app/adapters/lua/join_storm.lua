-- Join a storm that Kubernetes holds and Redis has lost (a restart, a flush): the scope's storm
-- state is restored from the storm resource when the scope has none, and the claimed record is
-- aggregated into the scope's storm. Prepended: storm.lua.
-- KEYS[1]  the fingerprint's record (see record_signals.lua), claimed by ARGV[4]
-- KEYS[2]  the scope's hash, KEYS[3] its affected list (see record_signals.lua)
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  record TTL, ms
-- ARGV[3]  quiet period, ms
-- ARGV[4]  the record's claim token
-- ARGV[5]  most affected resources listed
-- ARGV[6]  the signal's resource (namespace:Kind:name)
-- ARGV[7]  the storm resource's namespace, ARGV[8] its name, ARGV[9] its storm type
-- ARGV[10] its alert count, ARGV[11] its truncated count, ARGV[12] its last update, ms
-- ARGV[13...] the resources it lists
-- Reply:   {count, namespace, name, newly unwritten 0|1}: the record's occurrences and the
--          storm it is aggregated into; {0} when the claim is no longer the caller's
local key = KEYS[1]
local storms = {now = tonumber(ARGV[1]), now_text = ARGV[1], max_affected = tonumber(ARGV[5]),
  quiet = ARGV[3]}
local scope = {KEYS[2], false, false, KEYS[3]}
local rec = redis.call('HMGET', key, 't', 'c')
if rec[1] ~= ARGV[4] then
  return {0}
end
if redis.call('HEXISTS', scope[1], 'st') == 0 then
  redis.call('DEL', scope[4])
  if #ARGV >= 13 then
    redis.call('RPUSH', scope[4], unpack(ARGV, 13))
  end
  redis.call('HSET', scope[1], 'st', 'created', 'ty', ARGV[9], 'ns', ARGV[7], 'n', ARGV[8],
    'ac', ARGV[10], 'tr', ARGV[11], 'up', ARGV[12])
end
local namespace, name, newly = storm_aggregate(storms, scope, ARGV[6])
redis.call('PEXPIRE', scope[1], storms.quiet)
redis.call('PEXPIRE', scope[4], storms.quiet)
redis.call('HSET', key, 's', 'a', 'ns', namespace, 'n', name)
redis.call('HDEL', key, 't')
redis.call('PEXPIRE', key, ARGV[2])
return {tonumber(rec[2] or 1), namespace, name, newly}
