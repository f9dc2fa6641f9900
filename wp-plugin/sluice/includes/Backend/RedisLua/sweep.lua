-- sweep, first half: reclaims every expired lease and lapsed reservation, hands the free slots of every
-- key tickets wait for to the line (a hand-off that never happened heals here), and lists this host's
-- holders whose owners the caller checks for death (reclaim.lua frees the dead ones).
-- ARGV[7]: host id. Returns {expired reclaimed, token, pid, start time, ...}.
local expired = reclaim_expired(nil)
handoff(redis.call('SMEMBERS', P .. 'wkeys'))
local reply = { expired }
for _, v in ipairs(local_holders(ARGV[7], nil)) do reply[#reply + 1] = v end
return reply
