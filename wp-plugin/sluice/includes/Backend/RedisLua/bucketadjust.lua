-- bucketadjust: tokens back into a key's bucket (> 0, never above its burst) or out of it (< 0, an extra
-- charge that may leave a debt), under the bucket's budget (the last taker's, else the learned one).
-- ARGV[7..]: key, tokens. Returns 1, or 0 when the key has no bucket.
local k, tokens = ARGV[7], tonumber(ARGV[8])
if redis.call('EXISTS', bkey(k)) == 0 then return done(0) end
local b = bucket(k)
local rate = b.rate > 0 and b.rate or b.lrate
local full = b.full
if tokens < 0 then redis.call('HINCRBYFLOAT', bkey(k), 'taken', num(-tokens)) end
if rate > 0 then
  if tokens < 0 then
    full = math.max(full, NOW_US) + math.floor(-tokens / rate * 1e6 + 0.5)
  elseif full > NOW_US then
    full = math.max(NOW_US, full - math.floor(tokens / rate * 1e6 + 0.5))
  end
  redis.call('HSET', bkey(k), 'full', instant(full))
end
return done(1)
