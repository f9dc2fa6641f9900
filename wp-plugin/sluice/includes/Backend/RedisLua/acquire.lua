-- tryAcquire / tryAcquireFor: one slot on every key, or none.
-- ARGV[7..]: token, ttl ms, label, host, host id, pid, start time, ref (0: none),
-- n dead, n x (token, pid, start time) of this host's holders found dead, then key, limit pairs.
-- Returns {'ok', epoch} | {'full', key, limit, active, local holders (token, pid, start)...}
--       | {'hold', key, limit, ms left of the hold}
local token, ttl, label, host, hid, pid, st, ref = ARGV[7], tonumber(ARGV[8]), ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local ndead = tonumber(ARGV[15])
local names, limits = {}, {}
for i = 16 + 3 * ndead, #ARGV, 2 do
  names[#names + 1] = ARGV[i]
  limits[#limits + 1] = tonumber(ARGV[i + 1])
end

-- The lease: its record, its tokens in the keys' holder sets, the keys' counters.
local function grant(keys, lims)
  for i, k in ipairs(keys) do
    redis.call('SADD', kheld(k), token)
    local n = redis.call('SCARD', kheld(k))
    redis.call('SADD', P .. 'keys', k)
    redis.call('HINCRBY', kstat(k), 'acquired', 1)
    set_limit(k, lims[i])
    if n > tonumber(redis.call('HGET', kstat(k), 'peak') or '0') then redis.call('HSET', kstat(k), 'peak', n) end
  end
  redis.call('HSET', lkey(token), 'keys', join(keys), 'limits', join(lims), 'host', host, 'hid', hid, 'pid', pid, 'st', st,
    'label', label, 'at', NOW, 'exp', NOW + ttl, 'req', 0, 'ref', ref, 'res', 0, 'ep', EPOCH, 'sc', SCOPE)
  redis.call('ZADD', P .. 'exp', NOW + ttl, token)
  if hid ~= '' then redis.call('SADD', P .. 'host:' .. hid, token) end
  return { 'ok', EPOCH }
end

if holding() then
  -- The store was emptied (a Redis restart without persistence) while the holders it forgot may still run.
  redis.call('HINCRBY', kstat(names[1]), 'throttled', 1)
  return done({ 'hold', names[1], limits[1], HOLD - NOW })
end
if ndead > 0 then reclaim_dead(hid, 16, ndead) end

-- The action's ticket, if it has one: its reservation becomes the lease.
local ticket = false
if ref ~= '0' then ticket = redis.call('HGET', P .. 'refs', refkey(SCOPE, ref)) end
local tk = ticket and record(tkey(ticket)) or nil
if tk and tk.state == 'reserved' then
  local res = record(lkey(ticket))
  local covers = res ~= nil and res.res == '1'
  if covers then
    local reserved = {}
    for _, k in ipairs(split(res.keys)) do reserved[k] = true end
    for _, k in ipairs(names) do covers = covers and reserved[k] == true end
  end
  if covers then
    local keys, lims = split(res.keys), split(res.limits)
    for i, k in ipairs(names) do
      for j, r in ipairs(keys) do if r == k then lims[j] = tostring(limits[i]) end end
    end
    drop_ticket(ticket, tk) -- takes the reservation's record away too
    return done(grant(keys, lims))
  end
end

for i, k in ipairs(names) do
  local n = redis.call('SCARD', kheld(k))
  if n >= limits[i] and reclaim_expired(k) > 0 then
    n = redis.call('SCARD', kheld(k)) -- what expired went to the line first
  end
  if n >= limits[i] then
    redis.call('HINCRBY', kstat(k), 'throttled', 1)
    set_limit(k, limits[i])
    redis.call('SADD', P .. 'keys', k)
    if tk and tk.lapsed == '1' then
      -- Its action showed up again: the lapsed ticket may be handed a slot again.
      tk.state = 'waiting'
      list(ticket, tk, false)
    end
    local reply = { 'full', k, limits[i], n }
    for _, v in ipairs(local_holders(hid, k)) do reply[#reply + 1] = v end
    return done(reply)
  end
end

local reply = grant(names, limits)
if tk then
  -- Granted without its reservation: the ticket leaves the line, and a reservation it held goes on.
  handoff(drop_ticket(ticket, tk))
end
return done(reply)
