-- Take one request token from a caller's bucket (token bucket rate limiting).
-- KEYS[1]  the caller's bucket, a hash: t tokens left, u ms of the last refill
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  refill rate, tokens per second
-- ARGV[3]  burst: the bucket's size
-- Reply:   0 allowed; else the ms until a token is available
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 't', 'u')
local tokens = tonumber(bucket[1] or burst)
local updated = tonumber(bucket[2] or now)
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'u', now)
-- A bucket left alone refills completely in burst / rate seconds; it can go then.
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return wait
