-- sweep, second half: frees the leases of this host whose owners the caller found dead.
-- ARGV[7]: host id, ARGV[8]: n, then n x (token, pid, start time). Returns how many were freed.
return done(reclaim_dead(ARGV[7], 9, tonumber(ARGV[8])))
