-- ackStranded: the caller dealt with its claimed stranded lease: it is dropped. ARGV[7]: the claim id.
-- Returns 1, or 0 when the scope holds no such claim (answered already, or it lapsed and was taken again).
local removed = redis.call('HDEL', P .. 'sclaim:' .. SCOPE, ARGV[7])
redis.call('ZREM', P .. 'sclaimdl:' .. SCOPE, ARGV[7])
return done(removed)
