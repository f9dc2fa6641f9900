-- takeWakes: up to ARGV[7] hand-offs of the caller's scope, each taken by one caller only (popped), each ticket once.
-- Returns {ticket, ref, reservation ms left, ...} for the tickets still reserved.
local reply, seen = {}, {}
for _, t in ipairs(redis.call('LPOP', P .. 'wakes:' .. SCOPE, tonumber(ARGV[7])) or {}) do
  if not seen[t] then
    seen[t] = true
    local state = redis.call('HGET', tkey(t), 'state')
    local res = redis.call('HMGET', lkey(t), 'res', 'ref', 'exp')
    if state == 'reserved' and res[1] == '1' then
      reply[#reply + 1] = t
      reply[#reply + 1] = res[2]
      reply[#reply + 1] = math.max(0, tonumber(res[3]) - NOW)
    end
  end
end
return done(reply)
