-- release / releaseToken: gives a lease's slots back and hands them to the line.
-- ARGV[7]: token. Returns 1, or 0 when it was not held.
local t = ARGV[7]
local rec = record(lkey(t))
if not rec then return done(0) end
local keys = drop_lease(t, rec)
local held = NOW - tonumber(rec.at)
for _, k in ipairs(keys) do
  redis.call('HINCRBY', kstat(k), 'released', 1)
  if rec.res ~= '1' then
    -- An exponentially weighted mean of hold times (1/8 of each new one): the line's wait estimate.
    local mean = tonumber(redis.call('HGET', kstat(k), 'mean_hold_ms') or '0')
    mean = mean == 0 and held or math.floor(mean + (held - mean) / 8)
    redis.call('HSET', kstat(k), 'mean_hold_ms', math.max(1, mean))
  end
end
if rec.res == '1' then reservation_gone(t, false) end -- an operator released a reservation: its ticket waits again
handoff(keys)
return done(1)
