-- Prepended to record_signals.lua (not a script of its own): a fingerprint's state changes
-- (firing <-> resolved) and whether it flaps.
--
-- A fingerprint's transitions live in a hash of their own beside its record (the record's key
-- with "t:" for "d:" after the prefix, so the same hash tag), only once its alert has resolved
-- at least once, for the flapping window after its last change:
--   s  last state: f firing, r resolved
--   x  times of the changes within the window, ms, oldest first, space-separated (bounded)
--   fs ms since when it flaps (absent while it does not), fn the resource it labelled
--      ("<namespace> <name>", or "-" when its record had none)
--   fw what the status writer last wrote: "on", "off", or absent
-- `flapping` holds the settings, from the script's ARGV: now (a number), window (ms),
-- threshold (changes within the window that make it flap), keep (most times held).

local function flapping_key(flapping, record_key)
  return string.sub(record_key, 1, flapping.prefix_length) .. 't'
    .. string.sub(record_key, flapping.prefix_length + 2)
end

-- The change times still within the window, oldest first.
local function flapping_times(flapping, text)
  local times = {}
  for t in string.gmatch(text or '', '%d+') do
    if tonumber(t) > flapping.now - flapping.window then
      times[#times + 1] = t
    end
  end
  return times
end

-- Notes that a fingerprint's alert is now `to` (f or r); `was` is what its record says it was
-- (f, r, or false when there is no record). Returns the queue member's due ms when the
-- status writer has something to do about flapping (it starts, or its end must be checked
-- then), else false. `resource` is "<namespace> <name>" of the record's resource, or "-".
local function flapping_note(flapping, record_key, to, was, resource)
  local key = flapping_key(flapping, record_key)
  local t = redis.call('HMGET', key, 's', 'x', 'fs')
  local last = t[1] or was
  if not last or last == to then
    return false
  end
  local times = flapping_times(flapping, t[2])
  times[#times + 1] = flapping.now_text
  while #times > flapping.keep do
    table.remove(times, 1)
  end
  redis.call('HSET', key, 's', to, 'x', table.concat(times, ' '))
  redis.call('PEXPIRE', key, flapping.window)
  if t[3] then
    return flapping.now + flapping.window
  end
  if #times >= flapping.threshold then
    redis.call('HSET', key, 'fs', flapping.now_text, 'fn', resource)
    redis.call('HDEL', key, 'fw')
    return flapping.now
  end
  return false
end
