-- reset: drops every lease of a key, each on every key it holds (a reservation's ticket waits again).
-- ARGV[7]: key. Returns how many leases went.
local freed, keys, seen = 0, {}, {}
for _, t in ipairs(redis.call('SMEMBERS', kheld(ARGV[7]))) do
  local rec = record(lkey(t))
  if rec then
    for _, k in ipairs(drop_lease(t, rec)) do
      if not seen[k] then seen[k] = true keys[#keys + 1] = k end
    end
    if rec.res == '1' then reservation_gone(t, false) end
    freed = freed + 1
  end
end
redis.call('DEL', kheld(ARGV[7]))
redis.call('HSET', kstat(ARGV[7]), 'peak', 0, 'peak_since', NOW) -- the peak counts again from now
handoff(keys)
return done(freed)
