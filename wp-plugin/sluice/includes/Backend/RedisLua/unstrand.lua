-- returnStranded: the caller could not deal with its claimed stranded lease now: it goes back to the head of
-- its scope's list for the next takeStranded. ARGV[7]: the claim id. Returns 1, or 0 when the scope holds no
-- such claim.
local claims, deadlines = P .. 'sclaim:' .. SCOPE, P .. 'sclaimdl:' .. SCOPE
local rec = redis.call('HGET', claims, ARGV[7])
if not rec then return done(0) end
redis.call('LPUSH', P .. 'stranded:' .. SCOPE, rec)
redis.call('HDEL', claims, ARGV[7])
redis.call('ZREM', deadlines, ARGV[7])
return done(1)
