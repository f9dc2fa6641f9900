-- takeStranded: up to ARGV[6] leases reclaimed from dead holders, each taken by one caller only.
-- Returns {"ref \n pid \n label", ...}.
return redis.call('LPOP', P .. 'stranded', tonumber(ARGV[6])) or {}
