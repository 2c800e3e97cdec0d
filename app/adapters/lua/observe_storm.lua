-- Observe one firing signal in its storm scope (namespace, signal name) and decide whether a new
-- fingerprint is aggregated into the scope's storm, tips the scope into a storm, or stands alone.
-- Every key lives ARGV[9] ms after the scope's last signal, which also ends a quiet storm.
-- KEYS[1]  scope hash: st storm state (pending|created), ty type, ns/n storm resource, tk token,
--          ac alerts aggregated, tr truncated count, up last update ms, d dirty (status unwritten)
-- KEYS[2]  zset: recent signals of the scope (rate window, members now:token), at most
--          ARGV[4]+1 kept
-- KEYS[3]  zset: distinct resources of the scope (pattern window), at most ARGV[6]+1 kept
-- KEYS[4]  list: affected resources of the storm, at most ARGV[8]
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  1 when this signal's fingerprint is new (it was just claimed), else 0
-- ARGV[3]  the signal's resource, namespace:Kind:name
-- ARGV[4]  rate threshold (a storm is more than this many signals in the rate window)
-- ARGV[5]  rate window, ms
-- ARGV[6]  pattern threshold (more than this many distinct resources in the pattern window)
-- ARGV[7]  pattern window, ms
-- ARGV[8]  most affected resources listed
-- ARGV[9]  quiet period, ms
-- ARGV[10] claim token, ARGV[11] namespace and ARGV[12] name of a storm resource to create
-- Reply:   {"none"} | {"aggregated", namespace, name, newly dirty 0|1}
--          | {"tipped", type, affected resource...}
local now = tonumber(ARGV[1])
local quiet = tonumber(ARGV[9])
local rate_limit, pattern_limit = tonumber(ARGV[4]), tonumber(ARGV[6])

redis.call('ZADD', KEYS[2], now, ARGV[1] .. ':' .. ARGV[10])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]))
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(rate_limit + 2))
redis.call('ZADD', KEYS[3], now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[7]))
redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(pattern_limit + 2))
for i = 1, 4 do
  redis.call('PEXPIRE', KEYS[i], quiet)
end

local state = redis.call('HGET', KEYS[1], 'st')
if ARGV[2] ~= '1' then
  return {'none'}
end
if state then
  redis.call('HINCRBY', KEYS[1], 'ac', 1)
  redis.call('HSET', KEYS[1], 'up', ARGV[1])
  if redis.call('LPOS', KEYS[4], ARGV[3]) == false then
    if redis.call('LLEN', KEYS[4]) < tonumber(ARGV[8]) then
      redis.call('RPUSH', KEYS[4], ARGV[3])
    else
      redis.call('HINCRBY', KEYS[1], 'tr', 1)
    end
  end
  local newly = redis.call('HSETNX', KEYS[1], 'd', ARGV[1])
  local rec = redis.call('HMGET', KEYS[1], 'ns', 'n')
  return {'aggregated', rec[1], rec[2], newly}
end

local kind = false
if redis.call('ZCARD', KEYS[3]) > pattern_limit then
  kind = 'pattern'
elseif redis.call('ZCARD', KEYS[2]) > rate_limit then
  kind = 'rate'
end
if not kind then
  return {'none'}
end
local affected = redis.call('ZRANGE', KEYS[3], 0, tonumber(ARGV[8]) - 1)
redis.call('DEL', KEYS[4])
redis.call('RPUSH', KEYS[4], unpack(affected))
redis.call('PEXPIRE', KEYS[4], quiet)
redis.call('HSET', KEYS[1], 'st', 'pending', 'ty', kind, 'tk', ARGV[10], 'ns', ARGV[11],
  'n', ARGV[12], 'ac', 1, 'tr', 0, 'up', ARGV[1])
redis.call('PEXPIRE', KEYS[1], quiet)
local reply = {'tipped', kind}
for _, resource in ipairs(affected) do
  table.insert(reply, resource)
end
return reply
