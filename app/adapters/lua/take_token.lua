-- Take one request token from a caller's bucket (token bucket rate limiting); the bucket is
-- token_bucket.lua's, prepended. Used when a request's token cannot be taken by its
-- record_signals call (a Redis Cluster, or a request rejected before it is recorded).
-- KEYS[1]  the caller's bucket
-- ARGV[1]  now, ms since the epoch
-- ARGV[2]  refill rate, tokens per second
-- ARGV[3]  burst: the bucket's size
-- Reply:   0 allowed; else the ms until a token is available
return take_token(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))
