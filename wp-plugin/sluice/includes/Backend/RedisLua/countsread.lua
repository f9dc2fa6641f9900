-- Every key's capacity counters of the last 16 minutes (CapacityCounters::minuteCounts), from countsadd.lua's
-- hashes. Returns a flat list: key, minute, its eight counters (as strings), then the next key and minute...,
-- oldest minute first for each key.
local now_minute = math.floor(NOW / 60000)
local out = {}
for _, k in ipairs(redis.call('ZRANGEBYSCORE', P .. 'ckeys', now_minute - 15, '+inf')) do
  for m = now_minute - 15, now_minute + 1 do
    local c = redis.call('HMGET', P .. 'c:' .. k .. ':' .. m, '0', '1', '2', '3', '4', '5', '6', '7')
    local any = false
    for f = 1, 8 do
      if c[f] then any = true else c[f] = '0' end
    end
    if any then
      out[#out + 1] = k
      out[#out + 1] = tostring(m)
      for f = 1, 8 do out[#out + 1] = c[f] end
    end
  end
end
return done(out)
