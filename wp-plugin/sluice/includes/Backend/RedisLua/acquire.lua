-- tryAcquire / tryAcquireFor / tryAcquireTaking: one slot on every key and the tokens of every bucket, or none.
-- ARGV[7..]: token, ttl ms, label, host, host id, pid, start time, ref (0: none),
-- n dead, n buckets, n dead x (token, pid, start time) of this host's holders found dead,
-- n buckets x (key, rate, burst, tokens), then key, limit pairs.
-- Returns {'ok', epoch, ms since the action's ticket was first deferred (-1: it had none)}
--       | {'full', key, limit, active, local holders (token, pid, start)...}
--       | {'hold', key, limit, ms left of the hold} | {'rate', bucket key, ms until it has the tokens, ms per take's refill}
local token, ttl, label, host, hid, pid, st, ref = ARGV[7], tonumber(ARGV[8]), ARGV[9], ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14]
local ndead, nbuckets = tonumber(ARGV[15]), tonumber(ARGV[16])
local takes = {}
for i = 17 + 3 * ndead, 16 + 3 * ndead + 4 * nbuckets, 4 do
  takes[#takes + 1] = { k = ARGV[i], r = tonumber(ARGV[i + 1]), bu = tonumber(ARGV[i + 2]), n = tonumber(ARGV[i + 3]) }
end
local names, limits = {}, {}
for i = 17 + 3 * ndead + 4 * nbuckets, #ARGV, 2 do
  names[#names + 1] = ARGV[i]
  limits[#limits + 1] = tonumber(ARGV[i + 1])
end

-- The first bucket that cannot give its tokens now (its refusal counted), as the reply; nil when all can.
local function buckets_refuse()
  for _, q in ipairs(takes) do
    q.b = bucket(q.k)
    q.rate, q.burst = q.b.lrate, q.b.lburst
    if q.r > 0 then q.rate, q.burst = q.r, q.bu end
    local wait = bucket_wait(q.rate, q.burst, q.b, q.n)
    if wait > 0 then
      redis.call('HINCRBY', bkey(q.k), 'refusals', 1)
      redis.call('SADD', P .. 'buckets', q.k)
      return { 'rate', q.k, math.ceil(wait / 1000), q.rate > 0 and math.ceil(q.n / q.rate * 1000) or 0 }
    end
  end
  return nil
end

-- Takes every bucket's tokens (buckets_refuse() said they are there); the take's own budget is stored (rate 0:
-- it took under the learned one).
local function buckets_take()
  for _, q in ipairs(takes) do
    local full = q.b.full
    if q.rate > 0 and q.n > 0 then full = math.max(full, NOW_US) + math.floor(q.n / q.rate * 1e6 + 0.5) end
    redis.call('HSET', bkey(q.k), 'full', instant(full), 'rate', num(q.r), 'burst', num(q.bu))
    redis.call('HINCRBY', bkey(q.k), 'takes', 1)
    redis.call('HINCRBYFLOAT', bkey(q.k), 'taken', num(q.n))
    redis.call('SADD', P .. 'buckets', q.k)
  end
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
if ndead > 0 then reclaim_dead(hid, 17, ndead) end

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
    local short = buckets_refuse()
    if short then
      -- Its budget is short: the reserved slots go on to the next ticket now, and the ticket waits lapsed.
      local freed = drop_lease(ticket, res)
      reservation_gone(ticket, true)
      handoff(freed)
      return done(short)
    end
    buckets_take()
    drop_ticket(ticket, tk) -- takes the reservation's record away too
    local granted = grant(keys, lims)
    granted[3] = math.max(0, NOW - tonumber(tk.first or NOW))
    return done(granted)
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

-- Every slot is free: the buckets decide (a ticket held for its budget stays held).
local short = buckets_refuse()
if short then return done(short) end
buckets_take()
local reply = grant(names, limits)
reply[3] = -1
if tk then
  -- Granted without its reservation: the ticket leaves the line, and a reservation it held goes on.
  handoff(drop_ticket(ticket, tk))
  reply[3] = math.max(0, NOW - tonumber(tk.first or NOW))
end
return done(reply)
