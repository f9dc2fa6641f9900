-- takeStranded: up to ARGV[7] leases of the caller's scope reclaimed from dead holders, each taken by one caller only.
-- Returns {"ref \n pid \n label", ...}.
return done(redis.call('LPOP', P .. 'stranded:' .. SCOPE, tonumber(ARGV[7])) or {})
