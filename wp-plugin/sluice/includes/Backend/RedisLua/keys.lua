-- The operators' view of every key: {now, key, counters (flat), waiting tickets, holders (each flat)...}.
local reply = { NOW }
for _, k in ipairs(redis.call('SMEMBERS', P .. 'keys')) do
  local holders = {}
  for _, t in ipairs(redis.call('SMEMBERS', kheld(k))) do
    local flat = redis.call('HGETALL', lkey(t))
    if #flat > 0 then
      flat[#flat + 1] = 'token'
      flat[#flat + 1] = t
      holders[#holders + 1] = flat
    end
  end
  reply[#reply + 1] = { k, redis.call('HGETALL', kstat(k)), redis.call('ZCARD', kline(k)), holders }
end
return done(reply)
