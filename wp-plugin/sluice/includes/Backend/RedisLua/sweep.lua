-- sweep, first half: reclaims every expired lease and lapsed reservation, hands the free slots of every
-- key tickets wait for to the line (a hand-off that never happened heals here), and lists this host's
-- holders whose owners the caller checks for death (reclaim.lua frees the dead ones). It also says what
-- else waits for the caller's scope, so that the rest of a sweep asks Redis only for what is there.
-- ARGV[7]: host id, ARGV[8]: how long (ms) a ticket waits before it counts as stale.
-- Returns {expired reclaimed, wakes, stranded leases, stale tickets waiting, token, pid, start time, ...}.
local expired = reclaim_expired(nil)
handoff(redis.call('SMEMBERS', P .. 'wkeys'))
local reply = { expired, redis.call('LLEN', P .. 'wakes:' .. SCOPE), redis.call('LLEN', P .. 'stranded:' .. SCOPE)
  + redis.call('ZCOUNT', P .. 'sclaimdl:' .. SCOPE, '-inf', NOW),
  redis.call('ZCOUNT', P .. 'firsts:' .. SCOPE, '-inf', NOW - tonumber(ARGV[8])) }
for _, v in ipairs(local_holders(ARGV[7], nil)) do reply[#reply + 1] = v end
return done(reply)
