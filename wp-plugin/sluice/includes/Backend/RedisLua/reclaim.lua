-- sweep, second half: frees the leases of this host whose owners the caller found dead.
-- ARGV[6]: host id, ARGV[7]: n, then n x (token, pid, start time). Returns how many were freed.
return reclaim_dead(ARGV[6], 8, tonumber(ARGV[7]))
