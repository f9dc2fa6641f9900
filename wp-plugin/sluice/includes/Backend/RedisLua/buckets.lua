-- buckets: every key's bucket as stored, for operators (RedisBuckets::budgets()).
-- Returns {now us, then per bucket: key, rate, burst, lrate, lburst, full, pause, takes, refusals}, as strings.
local out = { instant(NOW_US) }
for _, k in ipairs(redis.call('SMEMBERS', P .. 'buckets')) do
  local f = redis.call('HMGET', bkey(k), 'rate', 'burst', 'lrate', 'lburst', 'full', 'pause', 'takes', 'refusals')
  out[#out + 1] = k
  for i = 1, 8 do out[#out + 1] = f[i] or '0' end
end
return done(out)
