-- bucketobserve: what the provider said about a key's budget (its rate-limit headers): a learned budget, at most
-- so many tokens left (the level never holds more now), a pause (no take before now + pause, at most an hour).
-- ARGV[7..]: key, tokens left ('' = not said), pause ms, learned rate, learned burst (0: not said). Returns 1.
local k, atmost, pause, lrate, lburst = ARGV[7], ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local b = bucket(k)
if lrate > 0 then
  redis.call('HSET', bkey(k), 'lrate', num(lrate), 'lburst', num(lburst))
  b.lrate, b.lburst = lrate, lburst
end
local rate, burst = b.rate, b.burst
if rate <= 0 then rate, burst = b.lrate, b.lburst end
local full = b.full
if atmost ~= '' and rate > 0 then
  local missing = burst - math.max(tonumber(atmost), -1e9)
  if missing > 0 then full = math.max(full, NOW_US + math.floor(missing / rate * 1e6 + 0.5)) end
end
local paused = b.pause
if pause > 0 then paused = math.max(paused, NOW_US + math.min(pause, 3600000) * 1000) end
redis.call('HSET', bkey(k), 'full', instant(full), 'pause', instant(paused))
redis.call('SADD', P .. 'buckets', k)
return done(1)
