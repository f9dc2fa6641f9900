-- takeStranded: claims up to ARGV[7] leases of the caller's scope reclaimed from dead holders. First, claims
-- whose deadline passed (their claimer died without answering) go back to the head of the list, in their order;
-- then each record taken from the list is this caller's claim until ackstranded.lua drops it or unstrand.lua
-- puts it back: sclaim:<scope> holds claim id => record, sclaimdl:<scope> the claims by deadline.
-- ARGV[8]: 28 hex characters the claim ids start with, ARGV[9]: how long (ms) a claim lasts.
-- Returns {claim id, "ref \n pid \n label", ...}.
local list, claims, deadlines = P .. 'stranded:' .. SCOPE, P .. 'sclaim:' .. SCOPE, P .. 'sclaimdl:' .. SCOPE
local lapsed = redis.call('ZRANGEBYSCORE', deadlines, '-inf', NOW)
for i = #lapsed, 1, -1 do
  local rec = redis.call('HGET', claims, lapsed[i])
  if rec then redis.call('LPUSH', list, rec) end
  redis.call('HDEL', claims, lapsed[i])
  redis.call('ZREM', deadlines, lapsed[i])
end
local reply = {}
for i, rec in ipairs(redis.call('LPOP', list, tonumber(ARGV[7])) or {}) do
  local id = ARGV[8] .. string.format('%04x', i)
  redis.call('HSET', claims, id, rec)
  redis.call('ZADD', deadlines, NOW + tonumber(ARGV[9]), id)
  reply[#reply + 1] = id
  reply[#reply + 1] = rec
end
return done(reply)
