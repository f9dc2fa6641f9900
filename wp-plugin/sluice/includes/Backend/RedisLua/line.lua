-- The whole waiting line: {now, ticket fields (flat, with its token and its reservation's expiry)...}.
local reply = { NOW }
for _, t in ipairs(redis.call('ZRANGE', P .. 'tickets', 0, -1)) do
  local flat = redis.call('HGETALL', tkey(t))
  if #flat > 0 then
    flat[#flat + 1] = 'token'
    flat[#flat + 1] = t
    flat[#flat + 1] = 'reserved_until'
    flat[#flat + 1] = redis.call('HGET', lkey(t), 'exp') or '0'
    reply[#reply + 1] = flat
  end
end
return reply
