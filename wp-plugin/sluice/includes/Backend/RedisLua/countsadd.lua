-- Adds to keys' capacity counters of one minute (CapacityCounters::addCounts): ARGV[7] the unix minute (0: now,
-- by Redis's clock), ARGV[8] how many keys, then per key its name and its eight counters (MinuteCounts::FIELDS).
-- Each key and minute is one hash, c:<key>:<minute> (fields 0..7), that expires 17 minutes after its minute
-- began; ckeys is a sorted set of the keys by the last minute counted (those older than 16 minutes leave it).
-- A minute outside the last 16 (or more than one ahead) is dropped. Returns 1 when counted, 0 when dropped.
local now_minute = math.floor(NOW / 60000)
local minute = tonumber(ARGV[7])
if minute == 0 then minute = now_minute end
if minute <= now_minute - 16 or minute > now_minute + 1 then return done(0) end
local n = tonumber(ARGV[8])
local expire_at = (minute + 17) * 60
for i = 0, n - 1 do
  local at = 9 + i * 9
  local k = ARGV[at]
  local h = P .. 'c:' .. k .. ':' .. minute
  for f = 0, 7 do
    local amount = tonumber(ARGV[at + 1 + f])
    if amount > 0 then redis.call('HINCRBY', h, f, amount) end
  end
  redis.call('EXPIREAT', h, expire_at)
  redis.call('ZADD', P .. 'ckeys', 'GT', minute, k)
end
redis.call('ZREMRANGEBYSCORE', P .. 'ckeys', '-inf', now_minute - 16)
return done(1)
