-- enqueue: action ref's place in the line of its key set (found again by ref), then a hand-off (a slot
-- may have freed between the refusal and now, perhaps for this very ticket).
-- ARGV[7..]: ref, tenant, weight, first deferral (ms, 0 = now), a new ticket's token, the line's capacity,
-- held (1: deferred for a rate budget: the ticket waits lapsed, handed no slot until its action shows up again),
-- then key, limit pairs sorted by key.
-- Returns {'ok', ticket, 1 if new, tickets ahead, mean hold ms} | {'full', tickets in the line}.
local ref, tenant, weight, first, token, capacity = ARGV[7], ARGV[8], tonumber(ARGV[9]), tonumber(ARGV[10]), ARGV[11], tonumber(ARGV[12])
local held = ARGV[13] == '1'
local names, limits = {}, {}
for i = 14, #ARGV, 2 do
  names[#names + 1] = ARGV[i]
  limits[#limits + 1] = ARGV[i + 1]
end
local keyset = join(names)
local mean = 0
for _, k in ipairs(names) do mean = math.max(mean, tonumber(redis.call('HGET', kstat(k), 'mean_hold_ms') or '0')) end

local found = redis.call('HGET', P .. 'refs', refkey(SCOPE, ref))
if found then
  local tk = record(tkey(found))
  if tk then
    if held then
      if tk.state == 'waiting' and tk.lapsed ~= '1' then
        unlist(found, tk)
        list(found, tk, true)
      end
    elseif tk.state == 'waiting' and tk.lapsed == '1' then
      list(found, tk, false) -- re-confirmed: a lapsed ticket may be handed a slot again
      handoff(split(tk.keys))
    end
    return done({ 'ok', found, 0, redis.call('ZCOUNT', P .. 'ks:' .. tk.keys, '-inf', '(' .. tk.seq), mean })
  end
  redis.call('HDEL', P .. 'refs', refkey(SCOPE, ref))
end
local total = redis.call('ZCARD', P .. 'tickets')
if total >= capacity then return done({ 'full', total }) end

local v = redis.call('ZRANGE', P .. 'vline', 0, 0, 'WITHSCORES')
local start = v[2] and tonumber(v[2]) or 0
local queue = tenant .. '\0' .. weight .. '\0' .. keyset
local last = redis.call('ZRANGE', P .. 'qq:' .. queue, -1, -1, 'WITHSCORES')
if last[2] then start = math.max(start, tonumber(last[2]) + SCALE / weight) end
if first <= 0 or first > NOW then first = NOW end
if first < NOW then
  -- Work that keeps an earlier place (a step whose runner died runs again with its first deferral) goes before the
  -- tickets of its queue first deferred after it: it takes the start tag of the first of them (a tie goes to it).
  local members = redis.call('ZRANGE', P .. 'qq:' .. queue, 0, WINDOW - 1, 'WITHSCORES')
  for i = 1, #members, 2 do
    local other = tonumber(redis.call('HGET', tkey(members[i]), 'first') or '0')
    if other > first then
      start = math.min(start, tonumber(members[i + 1]))
      break
    end
  end
end
local ahead = redis.call('ZCARD', P .. 'ks:' .. keyset)
local seq = redis.call('INCR', P .. 'seq')
local tk = { keys = keyset, limits = join(limits), start = string.format('%.17g', start) }
redis.call('HSET', tkey(token), 'ref', ref, 'scope', SCOPE, 'tenant', tenant, 'weight', weight, 'keys', keyset, 'limits', tk.limits,
  'state', 'waiting', 'lapsed', 0, 'start', tk.start, 'first', first, 'enq', NOW, 'seq', seq, 'queue', queue)
redis.call('HSET', P .. 'refs', refkey(SCOPE, ref), token)
redis.call('ZADD', P .. 'tickets', seq, token)
redis.call('ZADD', P .. 'qq:' .. queue, start, token)
redis.call('ZADD', P .. 'ks:' .. keyset, seq, token)
redis.call('ZADD', P .. 'firsts:' .. SCOPE, first, token)
list(token, tk, held)
for i, k in ipairs(names) do
  redis.call('SADD', P .. 'keys', k)
  if redis.call('HEXISTS', kstat(k), 'limit') == 0 then redis.call('HSET', kstat(k), 'limit', limits[i], 'peak_since', NOW) end
end
handoff(names)
return done({ 'ok', token, 1, ahead, mean })
