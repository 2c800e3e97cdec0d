-- Prepended to the scripts that take a request token (not a script of its own).
-- A caller's bucket is a hash: t tokens left, u ms of the last refill. Returns 0 when a token
-- was taken, else the ms until one is available (and takes none).
local function take_token(bucket_key, now, rate, burst)
  local bucket = redis.call('HMGET', bucket_key, 't', 'u')
  local tokens = tonumber(bucket[1] or burst)
  local updated = tonumber(bucket[2] or now)
  tokens = math.min(burst, tokens + math.max(0, now - updated) * rate / 1000)
  local wait = 0
  if tokens >= 1 then
    tokens = tokens - 1
  else
    wait = math.ceil((1 - tokens) * 1000 / rate)
  end
  redis.call('HSET', bucket_key, 't', tostring(tokens), 'u', now)
  -- A bucket left alone refills completely in burst / rate seconds; it can go then.
  redis.call('PEXPIRE', bucket_key, math.ceil(burst * 1000 / rate) + 1000)
  return wait
end

