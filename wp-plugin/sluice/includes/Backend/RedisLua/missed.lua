-- wakeMissed: a wake's copy could not be pulled forward (counted; the reservation lapses by itself).
-- ARGV[7]: ticket. Returns 1, or 0 when it holds no reservation.
local keys = redis.call('HMGET', lkey(ARGV[7]), 'res', 'keys', 'sc')
if keys[1] ~= '1' or keys[3] ~= SCOPE then return done(0) end
for _, k in ipairs(split(keys[2])) do redis.call('HINCRBY', kstat(k), 'wakes_missed', 1) end
return done(1)
