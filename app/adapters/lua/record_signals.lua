-- Record the signals of one request in one call: count every occurrence of a fingerprint, claim
-- the fingerprints nobody holds, observe every firing signal in its storm scope and decide, for
-- each claimed fingerprint, whether it stands alone, tips its scope into a storm, or is aggregated
-- into the scope's storm resource (confirmed here at once: aggregation creates nothing).
--
-- Keys come in groups, one per storm scope. A group's keys share the scope's hash tag, so in
-- Redis Cluster each group is one call; standalone Redis takes every group of a request at once.
--
-- A record (hash): s state (p pending claim, c created, a aggregated, r released), c count,
--   f first seen ms, l last seen ms, r resolved ms, t claim token, ns/n resource (n is just
--   the suffix of the fingerprint's own rr-<12 hex>-<suffix>: redis_store.stored_name()),
--   d ms when the count last became unwritten to Kubernetes, w ms of the last status write.
--   A pending claim lives only the claim TTL, so a dead holder never leaves a fingerprint stuck;
--   concurrent repeats count as duplicates of the pending claim.
-- A scope: hash st storm state (pending|created), ty type, tk token, ns/n storm resource,
--   ac alerts aggregated, tr truncated count, up last update ms, d dirty (status unwritten);
--   zset of recent signals (rate window, members now:token), zset of distinct resources
--   (pattern window), list of the storm's affected resources. Every scope key lives the quiet
--   period after the scope's last firing signal, which also ends a quiet storm.
--
-- KEYS[1]  the status-write queue (a zset) when ARGV[11] is 1, else absent
-- KEYS     then per group: scope hash, rate zset, pattern zset, affected list, then the record
--          of each of its signals
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  record TTL, ms (sliding: every occurrence renews it)
-- ARGV[3]  claim TTL, ms
-- ARGV[4]  least ms between two status writes of one resource
-- ARGV[5]  rate threshold (a storm is more than this many signals in the rate window)
-- ARGV[6]  rate window, ms
-- ARGV[7]  pattern threshold (more than this many distinct resources in the pattern window)
-- ARGV[8]  pattern window, ms
-- ARGV[9]  most affected resources listed
-- ARGV[10] quiet period, ms
-- ARGV[11] 1 when KEYS[1] is the status-write queue (standalone), else 0
-- ARGV[12] the caller's rate limit, tokens per second, when the next key is the caller's
--          bucket (token_bucket.lua's, prepended): a request token is taken first, and
--          without one nothing is recorded; else 0 and no bucket key
-- ARGV[13] the bucket's burst (0 without a bucket)
-- ARGV[14] number of groups; then per group: its queue member, its signal count n, then per
--          signal 2 values: "<firing 1|0> <claim token> <namespace> <name> <queue member>
--          <name as the record holds it>" (namespace and name of the resource a claimer
--          creates; none of the six has a space), and the signal's resource
--          (namespace:Kind:name, any text)
-- Reply:   {"l", ms until a token is available} when the caller has no token; else
--          one entry per signal, in order:
--          {"d", count, namespace, name, first seen ms, due ms}  a duplicate; due > 0: its
--              count just became unwritten, and a status write is due then
--          {"c", count, namespace, name, first seen ms, 0, "none"}  claimed, stands alone
--          {"c", count, namespace, name, first seen ms, 0, "tipped", type, affected...}
--          {"a", count, namespace, name, first seen ms, newly dirty 0|1}  aggregated into the
--              storm resource namespace/name
--          {"r", count, namespace|false, name|false, state, first seen ms}  resolved
--          {"n"}  resolved, and there is no record
--          A name is as the record holds it (the suffix of the fingerprint's own), except a
--          claim's, which is the full name.
local now = tonumber(ARGV[1])
local ttl, claim_ttl, interval = ARGV[2], ARGV[3], tonumber(ARGV[4])
local rate_limit, rate_window = tonumber(ARGV[5]), tonumber(ARGV[6])
local pattern_limit, pattern_window = tonumber(ARGV[7]), tonumber(ARGV[8])
local max_affected, quiet = tonumber(ARGV[9]), ARGV[10]
local queue = false
local k = 1
if ARGV[11] == '1' then
  queue = KEYS[1]
  k = 2
end
local rate = tonumber(ARGV[12])
if rate > 0 then
  local wait = take_token(KEYS[k], now, rate, tonumber(ARGV[13]))
  if wait > 0 then
    return {'l', wait}
  end
  k = k + 1
end
-- Members to queue for a status write, and when; written once at the end, or returned.
local due_members = {}

local function resolved(key)
  if redis.call('EXISTS', key) == 0 then
    return {'n'}
  end
  redis.call('HSET', key, 'r', ARGV[1])
  local rec = redis.call('HMGET', key, 'c', 'ns', 'n', 's', 'f')
  return {'r', tonumber(rec[1]), rec[2], rec[3], rec[4], tonumber(rec[5] or 0)}
end

-- Returns whether the pattern window gained a resource (a repeat's resource is already in it).
local function observe(scope, token, resource)
  redis.call('ZADD', scope[2], now, ARGV[1] .. ':' .. token)
  return redis.call('ZADD', scope[3], now, resource) == 1
end

-- Keep the newest threshold + 1 entries of each window (enough to tell a storm): bounded memory.
-- Every signal adds to the rate window; the pattern window only grows by a new resource, and
-- when none was added it is still trimmed from the last call.
local function trim(scope, pattern_grew)
  redis.call('ZREMRANGEBYRANK', scope[2], 0, -(rate_limit + 2))
  if pattern_grew then
    redis.call('ZREMRANGEBYRANK', scope[3], 0, -(pattern_limit + 2))
  end
end

-- Before a decision: also drop what the windows no longer cover.
local function slide(scope)
  redis.call('ZREMRANGEBYSCORE', scope[2], '-inf', now - rate_window)
  redis.call('ZREMRANGEBYSCORE', scope[3], '-inf', now - pattern_window)
  trim(scope, true)
end

local function aggregate(key, scope, resource, count, first, scope_member)
  redis.call('HINCRBY', scope[1], 'ac', 1)
  redis.call('HSET', scope[1], 'up', ARGV[1])
  if redis.call('LPOS', scope[4], resource) == false then
    if redis.call('LLEN', scope[4]) < max_affected then
      redis.call('RPUSH', scope[4], resource)
    else
      redis.call('HINCRBY', scope[1], 'tr', 1)
    end
  end
  local newly = redis.call('HSETNX', scope[1], 'd', ARGV[1])
  if newly == 1 then
    due_members[#due_members + 1] = {now + interval, scope_member}
  end
  local ref = redis.call('HMGET', scope[1], 'ns', 'n')
  redis.call('HSET', key, 's', 'a', 'ns', ref[1], 'n', ref[2])
  redis.call('HDEL', key, 't')
  redis.call('PEXPIRE', key, ttl)
  return {'a', count, ref[1], ref[2], first, newly}
end

-- Returns the signal's reply, and whether its scope's pattern window gained a resource.
local function firing(key, scope, scope_member, token, namespace, name, stored, resource,
    member)
  local rec = redis.call('HMGET', key, 's', 'r', 'ns', 'n', 'f', 'd', 'w', 'c')
  local state = rec[1]
  -- The count and the times in one write (the script is atomic: as HINCRBY would count).
  local count = (tonumber(rec[8]) or 0) + 1
  local first = tonumber(rec[5] or ARGV[1])
  if rec[5] then
    redis.call('HSET', key, 'c', count, 'l', ARGV[1])
  else
    redis.call('HSET', key, 'c', count, 'f', ARGV[1], 'l', ARGV[1])
  end
  if rec[2] then
    redis.call('HDEL', key, 'r')
  end
  local grew = observe(scope, token, resource)
  if state == 'c' or state == 'p' or state == 'a' then
    if state ~= 'p' then
      redis.call('PEXPIRE', key, ttl)
    end
    local due = 0
    -- An aggregated signal's repeats are not the storm resource's occurrences. A mark older
    -- than a minute was never queued (its writer died): queue it again.
    if state ~= 'a' and (not rec[6] or now - tonumber(rec[6]) > 60000) then
      redis.call('HSET', key, 'd', ARGV[1])
      due = math.max(now, tonumber(rec[7] or 0) + interval)
      due_members[#due_members + 1] = {due, member}
    end
    return {'d', count, rec[3], rec[4], first, due}, grew
  end
  if redis.call('HEXISTS', scope[1], 'st') == 1 then
    return aggregate(key, scope, resource, count, first, scope_member), grew
  end
  redis.call('HSET', key, 's', 'p', 't', token, 'ns', namespace, 'n', stored)
  redis.call('PEXPIRE', key, claim_ttl)
  slide(scope)
  local kind = false
  if redis.call('ZCARD', scope[3]) > pattern_limit then
    kind = 'pattern'
  elseif redis.call('ZCARD', scope[2]) > rate_limit then
    kind = 'rate'
  end
  if not kind then
    return {'c', count, namespace, name, first, 0, 'none'}, grew
  end
  -- Never empty: the pattern zset holds at least this signal's resource.
  local affected = redis.call('ZRANGE', scope[3], 0, max_affected - 1)
  redis.call('DEL', scope[4])
  redis.call('RPUSH', scope[4], unpack(affected))
  redis.call('HSET', scope[1], 'st', 'pending', 'ty', kind, 'tk', token, 'ns', namespace,
    'n', name, 'ac', 1, 'tr', 0, 'up', ARGV[1])
  local reply = {'c', count, namespace, name, first, 0, 'tipped', kind}
  for _, one in ipairs(affected) do
    reply[#reply + 1] = one
  end
  return reply, grew
end

local replies = {}
local a = 15
for _ = 1, tonumber(ARGV[14]) do
  local scope = {KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]}
  local scope_member = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  k = k + 4
  a = a + 2
  local fired, pattern_grew = false, false
  for _ = 1, n do
    local is_firing, token, namespace, name, member, stored =
      string.match(ARGV[a], '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
    if is_firing == '1' then
      local reply, grew = firing(KEYS[k], scope, scope_member, token, namespace, name, stored,
        ARGV[a + 1], member)
      replies[#replies + 1] = reply
      fired = true
      pattern_grew = pattern_grew or grew
    else
      replies[#replies + 1] = resolved(KEYS[k])
    end
    k = k + 1
    a = a + 2
  end
  if fired then
    trim(scope, pattern_grew)
    redis.call('PEXPIRE', scope[2], quiet)
    redis.call('PEXPIRE', scope[3], quiet)
    -- The storm's keys exist only while the scope storms.
    if redis.call('PEXPIRE', scope[1], quiet) == 1 then
      redis.call('PEXPIRE', scope[4], quiet)
    end
  end
end
if queue and #due_members > 0 then
  for _, entry in ipairs(due_members) do
    redis.call('ZADD', queue, entry[1], entry[2])
  end
  redis.call('PEXPIRE', queue, ttl)
end
return replies
