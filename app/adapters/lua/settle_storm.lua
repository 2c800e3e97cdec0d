-- Settle a storm after its resource was created (or could not be).
-- KEYS[1]  scope hash (see record_signals.lua)
-- ARGV[1]  claim token of the tipping signal
-- ARGV[2]  1 created (the storm goes on), 0 failed (the scope leaves the storm; the next new
--          fingerprint may tip it again)
-- Reply:   1 settled, 0 the storm is not this token's (it ended or was taken over)
if redis.call('HGET', KEYS[1], 'tk') ~= ARGV[1] then
  return 0
end
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'st', 'created')
  redis.call('HDEL', KEYS[1], 'tk')
else
  redis.call('DEL', KEYS[1])
end
return 1
