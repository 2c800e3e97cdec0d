-- Mark a fingerprint's occurrences unwritten again after a failed status write.
-- KEYS[1]  the fingerprint's record (see record_signals.lua)
-- ARGV[1]  now, ms since the epoch
-- Reply:   1 marked, 0 the record is gone (nothing left to write)
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'd', ARGV[1])
return 1
