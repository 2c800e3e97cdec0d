-- Record the signals of one request in one call: count every occurrence of a fingerprint, claim
-- the fingerprints nobody holds, observe every firing signal in its storm scope and decide, for
-- each claimed fingerprint, whether it stands alone, tips its scope into a storm, or is aggregated
-- into the scope's storm resource (confirmed here at once: aggregation creates nothing).
--
-- Keys come in groups, one per storm scope. A group's keys share the scope's hash tag, so in
-- Redis Cluster each group is one call; standalone Redis takes every group of a request at once.
-- Prepended: token_bucket.lua (take_token), storm.lua (storm_*: a scope's windows, its storm)
-- and flapping.lua (flapping_*: a fingerprint's state changes).
--
-- A record (hash): s state (p pending claim, c created, a aggregated, r released), c count,
--   f first seen ms, l last seen ms, r resolved ms, t claim token, ns/n resource (n is just
--   the suffix of the fingerprint's own rr-<12 hex>-<suffix>: redis_keys.stored_name()),
--   d ms when the count last became unwritten to Kubernetes, w ms of the last status write;
--   xn/xc/xf/xl: an ended resource's last unwritten figures ("<namespace> <name>", count,
--   first and last seen ms), kept for its final status write once the record started anew;
--   with identity.mode workload, g:<signal> "<count> <last seen ms>" for each distinct signal
--   that joined it (at most 20), gn how many, gt how many more were left out.
-- A record whose resource has ended (the caller names the ended resources it knows of) answers
--   nothing: its figures stay the ended resource's, and the signal is a new fingerprint.
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
-- ARGV[11] flapping threshold (changes within the flapping window that make an alert flap)
-- ARGV[12] flapping window, ms
-- ARGV[13] length of the key prefix (flapping.lua finds a record's transitions key by it)
-- ARGV[14] 1 when KEYS[1] is the status-write queue (standalone), else 0
-- ARGV[15] the caller's rate limit, tokens per second, when the next key is the caller's
--          bucket (token_bucket.lua's): a request token is taken first, and without one
--          nothing is recorded; else 0 and no bucket key
-- ARGV[16] the bucket's burst (0 without a bucket)
-- ARGV[17] number of groups; then per group: its queue member, its signal count n, then per
--          signal 3 values: "<firing 1|0> <claim token> <namespace> <name> <queue member>
--          <name as the record holds it> <ended>" (namespace and name of the resource a
--          claimer creates; <ended>: the names, as the record would hold them, of resources
--          the record may point at that have ended, comma-separated, or "-"; none of the
--          seven has a space), the signal's resource (namespace:Kind:name, any text), and
--          the signal, "<type>|<kind>|<target name>|<name>", to count among the record's
--          distinct signals, or "" not to
-- Reply:   {"l", ms until a token is available} when the caller has no token; else
--          one entry per signal, in order (redis_replies.ReplyKind names the kinds), then,
--          without a queue key (Cluster), {"q", due ms, member, ...} when status writes are
--          due (the caller queues them):
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
local storms = {
  now = now, now_text = ARGV[1],
  rate_limit = tonumber(ARGV[5]), rate_window = tonumber(ARGV[6]),
  pattern_limit = tonumber(ARGV[7]), pattern_window = tonumber(ARGV[8]),
  max_affected = tonumber(ARGV[9]), quiet = ARGV[10],
}
local flapping = {
  now = now, now_text = ARGV[1], threshold = tonumber(ARGV[11]), window = tonumber(ARGV[12]),
  prefix_length = tonumber(ARGV[13]), keep = 2 * tonumber(ARGV[11]) + 2,
}
local queue = false
local k = 1
if ARGV[14] == '1' then
  queue = KEYS[1]
  k = 2
end
local rate = tonumber(ARGV[15])
if rate > 0 then
  local wait = take_token(KEYS[k], now, rate, tonumber(ARGV[16]))
  if wait > 0 then
    return {'l', wait}
  end
  k = k + 1
end
-- Members to queue for a status write, and when; written once at the end, or returned.
local due_members = {}

-- Asks for a flapping check of a record's fingerprint at `due`, if any.
local function flap_due(due, member)
  if due then
    due_members[#due_members + 1] = {due, 'f:' .. member}
  end
end

local function backing(rec_state, namespace, name)
  if rec_state == 'c' and namespace and name then
    return namespace .. ' ' .. name
  end
  return '-'
end

local function resolved(key, member)
  local rec = redis.call('HMGET', key, 'c', 'ns', 'n', 's', 'f', 'r')
  if not rec[4] then
    flap_due(flapping_note(flapping, key, 'r', false, '-'), member)
    return {'n'}
  end
  if not rec[6] then  -- a repeated resolve changes nothing
    flap_due(flapping_note(flapping, key, 'r', 'f', backing(rec[4], rec[2], rec[3])), member)
  end
  redis.call('HSET', key, 'r', ARGV[1])
  return {'r', tonumber(rec[1] or 0), rec[2], rec[3], rec[4], tonumber(rec[5] or 0)}
end

-- Whether the record's resource is one the caller knows has ended.
local function has_ended(ended, stored)
  if ended == '-' or not stored then
    return false
  end
  for name in string.gmatch(ended, '[^,]+') do
    if name == stored then
      return true
    end
  end
  return false
end

-- The record's resource ended: its unwritten figures are kept for its final status write, and
-- the record starts anew (its claim follows), its distinct signals too.
local function retire(key, rec)
  if rec[1] == 'c' and rec[6] then
    redis.call('HSET', key, 'xn', rec[3] .. ' ' .. rec[4], 'xc', rec[8], 'xf', rec[5],
      'xl', rec[9])
  end
  redis.call('HDEL', key, 's', 't', 'c', 'f', 'l', 'd', 'w', 'ns', 'n', 'gn', 'gt')
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 'g:' then
      redis.call('HDEL', key, field)
    end
  end
end

-- Counts one occurrence of a distinct signal of the record (identity.mode workload).
local function count_signal(key, signal)
  if signal == '' then
    return
  end
  local field = 'g:' .. signal
  local seen = redis.call('HGET', key, field)
  if seen then
    redis.call('HSET', key, field, (tonumber(string.match(seen, '^%d+')) + 1) .. ' ' .. ARGV[1])
  elseif tonumber(redis.call('HGET', key, 'gn') or 0) < 20 then
    redis.call('HSET', key, field, '1 ' .. ARGV[1])
    redis.call('HINCRBY', key, 'gn', 1)
  else
    redis.call('HINCRBY', key, 'gt', 1)
  end
end

local function aggregate(key, scope, resource, count, first, scope_member)
  local namespace, name, newly = storm_aggregate(storms, scope, resource)
  if newly == 1 then
    due_members[#due_members + 1] = {now + interval, scope_member}
  end
  redis.call('HSET', key, 's', 'a', 'ns', namespace, 'n', name)
  redis.call('HDEL', key, 't')
  redis.call('PEXPIRE', key, ttl)
  return {'a', count, namespace, name, first, newly}
end

-- A repeat of a fingerprint held by a claim, its resource, or its scope's storm.
local function duplicate(key, rec, count, first, member)
  if rec[1] ~= 'p' then
    redis.call('PEXPIRE', key, ttl)
  end
  local due = 0
  -- An aggregated signal's repeats are not the storm resource's occurrences. A mark older
  -- than a minute was never queued (its writer died): queue it again.
  if rec[1] ~= 'a' and (not rec[6] or now - tonumber(rec[6]) > 60000) then
    redis.call('HSET', key, 'd', ARGV[1])
    due = math.max(now, tonumber(rec[7] or 0) + interval)
    due_members[#due_members + 1] = {due, member}
  end
  return {'d', count, rec[3], rec[4], first, due}
end

-- A new fingerprint: claimed, and it stands alone or tips its scope into a storm.
local function claim(key, scope, count, first, token, namespace, name, stored)
  redis.call('HSET', key, 's', 'p', 't', token, 'ns', namespace, 'n', stored)
  redis.call('PEXPIRE', key, claim_ttl)
  local kind = storm_kind(storms, scope)
  if not kind then
    return {'c', count, namespace, name, first, 0, 'none'}
  end
  local reply = {'c', count, namespace, name, first, 0, 'tipped', kind}
  for _, one in ipairs(storm_start(storms, scope, kind, token, namespace, name)) do
    reply[#reply + 1] = one
  end
  return reply
end

-- Returns the signal's reply, and whether its scope's pattern window gained a resource.
local function firing(key, scope, scope_member, token, namespace, name, stored, ended, resource,
    member, signal)
  local rec = redis.call('HMGET', key, 's', 'r', 'ns', 'n', 'f', 'd', 'w', 'c', 'l')
  local state = rec[1]
  -- A record that says firing (no resolve since) needs no look at its state changes: the
  -- change is to firing, and only a record that is gone or resolved can have one.
  if not state or rec[2] then
    local was = state and 'r'
    flap_due(flapping_note(flapping, key, 'f', was, backing(state, rec[3], rec[4])), member)
  end
  if (state == 'c' or state == 'a') and has_ended(ended, rec[4]) then
    retire(key, rec)
    state = nil
    rec = {nil, rec[2]}
  end
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
  count_signal(key, signal)
  local grew = storm_observe(storms, scope, token, resource)
  if state == 'c' or state == 'p' or state == 'a' then
    return duplicate(key, rec, count, first, member), grew
  end
  if storm_active(scope) then
    return aggregate(key, scope, resource, count, first, scope_member), grew
  end
  return claim(key, scope, count, first, token, namespace, name, stored), grew
end

local replies = {}
local a = 18
for _ = 1, tonumber(ARGV[17]) do
  local scope = {KEYS[k], KEYS[k + 1], KEYS[k + 2], KEYS[k + 3]}
  local scope_member = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  k = k + 4
  a = a + 2
  local fired, pattern_grew = false, false
  for _ = 1, n do
    local is_firing, token, namespace, name, member, stored, ended =
      string.match(ARGV[a], '^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+) (%S+)$')
    if is_firing == '1' then
      local reply, grew = firing(KEYS[k], scope, scope_member, token, namespace, name, stored,
        ended, ARGV[a + 1], member, ARGV[a + 2])
      replies[#replies + 1] = reply
      fired = true
      pattern_grew = pattern_grew or grew
    else
      replies[#replies + 1] = resolved(KEYS[k], member)
    end
    k = k + 1
    a = a + 3
  end
  if fired then
    storm_keep(storms, scope, pattern_grew)
  end
end
if #due_members > 0 then
  if queue then
    -- LT: a write due sooner stays due then (the take scripts tell when it truly is).
    for _, entry in ipairs(due_members) do
      redis.call('ZADD', queue, 'LT', entry[1], entry[2])
    end
    redis.call('PEXPIRE', queue, ttl)
  else
    local due = {'q'}
    for _, entry in ipairs(due_members) do
      due[#due + 1] = entry[1]
      due[#due + 1] = entry[2]
    end
    replies[#replies + 1] = due
  end
end
return replies
