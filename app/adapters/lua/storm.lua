-- Prepended to record_signals.lua (not a script of its own): a storm scope's windows and its
-- storm. A scope is a table of its four keys, {hash, rate zset, pattern zset, affected list}
-- (their fields: record_signals.lua's header). `storms` holds the time and the settings, from
-- the script's ARGV: now (a number) and now_text (as sent), both ms since the epoch;
-- rate_limit, rate_window (ms), pattern_limit, pattern_window (ms), max_affected, quiet (ms).

-- Adds a firing signal to its scope's windows. Returns whether the pattern window gained a
-- resource (a repeat's resource is already in it).
local function storm_observe(storms, scope, token, resource)
  redis.call('ZADD', scope[2], storms.now, storms.now_text .. ':' .. token)
  return redis.call('ZADD', scope[3], storms.now, resource) == 1
end

-- Keeps the newest threshold + 1 entries of each window (enough to tell a storm): bounded
-- memory. Every signal adds to the rate window; the pattern window only grows by a new
-- resource, and when none was added it is still trimmed from the last call.
local function storm_trim(storms, scope, pattern_grew)
  redis.call('ZREMRANGEBYRANK', scope[2], 0, -(storms.rate_limit + 2))
  if pattern_grew then
    redis.call('ZREMRANGEBYRANK', scope[3], 0, -(storms.pattern_limit + 2))
  end
end

-- Whether the scope storms: its storm resource is being created or exists.
local function storm_active(scope)
  return redis.call('HEXISTS', scope[1], 'st') == 1
end

-- Returns the storm a new fingerprint tips its scope into, 'pattern' or 'rate', or false;
-- first drops what the windows no longer cover.
local function storm_kind(storms, scope)
  redis.call('ZREMRANGEBYSCORE', scope[2], '-inf', storms.now - storms.rate_window)
  redis.call('ZREMRANGEBYSCORE', scope[3], '-inf', storms.now - storms.pattern_window)
  storm_trim(storms, scope, true)
  if redis.call('ZCARD', scope[3]) > storms.pattern_limit then
    return 'pattern'
  elseif redis.call('ZCARD', scope[2]) > storms.rate_limit then
    return 'rate'
  end
  return false
end

-- Starts the scope's storm, its resource namespace/name pending creation by the holder of
-- `token`. Returns the affected resources: never empty, the pattern window holds at least the
-- tipping signal's.
local function storm_start(storms, scope, kind, token, namespace, name)
  local affected = redis.call('ZRANGE', scope[3], 0, storms.max_affected - 1)
  redis.call('DEL', scope[4])
  redis.call('RPUSH', scope[4], unpack(affected))
  redis.call('HSET', scope[1], 'st', 'pending', 'ty', kind, 'tk', token, 'ns', namespace,
    'n', name, 'ac', 1, 'tr', 0, 'up', storms.now_text)
  return affected
end

-- Counts a signal about `resource` into the scope's storm. Returns the storm resource's
-- namespace and name, and 1 when the storm's figures just became unwritten (else 0).
local function storm_aggregate(storms, scope, resource)
  redis.call('HINCRBY', scope[1], 'ac', 1)
  redis.call('HSET', scope[1], 'up', storms.now_text)
  if redis.call('LPOS', scope[4], resource) == false then
    if redis.call('LLEN', scope[4]) < storms.max_affected then
      redis.call('RPUSH', scope[4], resource)
    else
      redis.call('HINCRBY', scope[1], 'tr', 1)
    end
  end
  local newly = redis.call('HSETNX', scope[1], 'd', storms.now_text)
  local ref = redis.call('HMGET', scope[1], 'ns', 'n')
  return ref[1], ref[2], newly
end

-- After a scope's firing signals: trims its windows, and keeps every key of the scope the
-- quiet period after its last firing signal (which also ends a quiet storm). The storm's own
-- keys exist only while the scope storms.
local function storm_keep(storms, scope, pattern_grew)
  storm_trim(storms, scope, pattern_grew)
  redis.call('PEXPIRE', scope[2], storms.quiet)
  redis.call('PEXPIRE', scope[3], storms.quiet)
  if redis.call('PEXPIRE', scope[1], storms.quiet) == 1 then
    redis.call('PEXPIRE', scope[4], storms.quiet)
  end
end
