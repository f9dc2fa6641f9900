#!lua
-- Sluice's Redis backend: what every script of it starts with (RedisScripts
-- puts this file in front of each one). Everything of one site lives under
-- one prefix with one hash tag, "sluice:{<site>}:", so every key a script
-- touches is in one Redis Cluster slot; KEYS[1] is the site's epoch key,
-- which routes the script to that slot. The shebang (Redis 7) makes a
-- Cluster refuse any access outside that slot instead of allowing it.
--
-- ARGV[1] prefix, ARGV[2] an epoch id to start with if the store is empty,
-- ARGV[3] how long (ms) an empty store is distrusted when it was not empty
-- before (0 for the site's very first use), ARGV[4] reservation window (ms),
-- ARGV[5] aging period (ms), ARGV[6] the caller's scope ("<install>/<blog>":
-- tickets, wakes and stranded leases carry it and are matched on it, since an
-- action id is unique only per blog); a script's own arguments start at ARGV[7].
--
-- Keys under the prefix:
--   epoch          hash: id, created, hold (no admission before this time, ms)
--   keys           set of lease key names ever used
--   k:<key>        hash of a key's counters: limit, peak, peak_since (ms: the peak counts
--                  from the key's creation, its last reset or its last change of limit),
--                  acquired, throttled, released, reclaimed_dead, reclaimed_expired,
--                  wakes_sent, wakes_lapsed, wakes_missed, mean_hold_ms
--   h:<key>        set of the tokens holding a slot of the key (reservations too)
--   l:<token>      hash of a lease: keys, limits (newline separated, same order),
--                  host, hid (host id), pid, st (process start time), label,
--                  at, exp, req (ms), ref, res (1: a woken ticket's reservation), ep,
--                  sc (the scope of its action id)
--   exp            sorted set of lease tokens by expiry
--   host:<hid>     set of the tokens whose owner runs on that host
--   t:<ticket>     hash of a ticket: ref, scope, tenant, weight, keys, limits, state
--                  (waiting | reserved), lapsed, start (tag), first, enq, seq, queue
--   tickets        sorted set of every ticket by arrival (seq)
--   vline          sorted set of the waiting tickets not lapsed, by start tag (V)
--   q:<key>        sorted set of the waiting tickets that need the key, by start tag
--   wkeys          set of keys some waiting ticket needs
--   qq:<queue>     sorted set of a queue's tickets by start tag (its last finish tag)
--   ks:<key set>   sorted set of the tickets of one key set by arrival (ahead)
--   firsts:<scope> sorted set of a scope's tickets by first deferral (stale ones)
--   refs           hash: "<scope>\n<action id>" => its ticket
--   seq            counter of tickets
--   wakes:<scope>  list of tickets whose copy must be pulled forward now
--   stranded:<scope> list of "ref \n pid \n label" left by holders that died
--   sclaim:<scope>   hash of the claimed ones: claim id => record (stranded.lua)
--   sclaimdl:<scope> sorted set of those claim ids by deadline
--   c:<key>:<minute> hash of a key's capacity counters of one unix minute (fields 0..7, MinuteCounts::FIELDS),
--                  expiring 17 minutes after the minute began (countsadd.lua)
--   ckeys          sorted set of the keys with capacity counters, by the last minute counted
--   b:<key>        hash of a key's token bucket (rate budgets; the extension's rules, src/sluice/rate_bucket.hpp):
--                  rate, burst (the last taker's; 0: none), lrate, lburst (the budget the provider's headers
--                  announced, for takes with rate 0), full (us of Redis's clock: the bucket is full from then on;
--                  before, it holds burst - rate x (full - now)), pause (us: no take before), takes, refusals, taken
--   buckets        set of the keys with a bucket
--   r:<key>        hash of a key's record (RecordStore): v (version), d (bytes), at (ms), cap (the key's
--                  limit for hand-offs; -1: none at all; 0 or missing: the tickets' own limits)

local P = ARGV[1]
local NOW, NOW_US
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  NOW_US = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local RESERVATION_MS = tonumber(ARGV[4])
local AGING_MS = tonumber(ARGV[5])
local SCOPE = ARGV[6]
local SCALE = 1000000
local WINDOW = 1000

local function kstat(k) return P .. 'k:' .. k end
local function kheld(k) return P .. 'h:' .. k end

-- A key's limit as an acquire asks for it; a changed limit starts its peak over, so a limit-1 key never shows
-- the peak of an earlier limit-2 run.
local function set_limit(k, limit)
  if redis.call('HGET', kstat(k), 'limit') ~= tostring(limit) then
    redis.call('HSET', kstat(k), 'limit', limit, 'peak', 0, 'peak_since', NOW)
  end
end
local function kline(k) return P .. 'q:' .. k end
local function lkey(t) return P .. 'l:' .. t end
local function tkey(t) return P .. 't:' .. t end
local function refkey(scope, ref) return scope .. '\n' .. ref end

local function split(s)
  local out = {}
  if s == nil or s == false or s == '' then return out end
  for part in string.gmatch(s, '[^\n]+') do out[#out + 1] = part end
  return out
end

local function join(list) return table.concat(list, '\n') end

-- A hash as a Lua table, or nil when the key does not exist.
local function record(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local r = {}
  for i = 1, #flat, 2 do r[flat[i]] = flat[i + 1] end
  return r
end

-- The store's epoch: created (with its hold) when the store is empty.
local EPOCH, HOLD
do
  local e = redis.call('HMGET', P .. 'epoch', 'id', 'hold')
  if e[1] then
    EPOCH, HOLD = e[1], tonumber(e[2])
  else
    EPOCH, HOLD = ARGV[2], NOW + tonumber(ARGV[3])
    redis.call('HSET', P .. 'epoch', 'id', EPOCH, 'created', NOW, 'hold', HOLD)
  end
end

local function holding() return NOW < HOLD end

-- Wakes this call queued: every script answers {WOKEN, its reply}, so the caller knows whether a wake of
-- its own waits (WaitingLine::takeWakes($max, true) then costs no round trip when none does).
local WOKEN = 0
local function done(reply) return { WOKEN, reply } end

-- Start tag + SCALE / effective weight; the effective weight grows from w to 100 over the aging period.
local function effective_weight(w, waited)
  local f = 1
  if AGING_MS > 0 then f = math.min(1, waited / AGING_MS) end
  return w + (100 - w) * f
end

local function score(start, w, waited) return start + SCALE / effective_weight(w, waited) end

-- A waiting ticket leaves the indexes of waiting tickets (it was served, reserved or cancelled).
local function unlist(t, tk)
  redis.call('ZREM', P .. 'vline', t)
  for _, k in ipairs(split(tk.keys)) do
    redis.call('ZREM', kline(k), t)
    if redis.call('ZCARD', kline(k)) == 0 then redis.call('SREM', P .. 'wkeys', k) end
  end
end

-- A ticket waits (again): in its keys' lines, and in V's unless it lapsed.
local function list(t, tk, lapsed)
  local start = tonumber(tk.start)
  redis.call('HSET', tkey(t), 'state', 'waiting', 'lapsed', lapsed and 1 or 0)
  if not lapsed then redis.call('ZADD', P .. 'vline', start, t) end
  for _, k in ipairs(split(tk.keys)) do
    redis.call('ZADD', kline(k), start, t)
    redis.call('SADD', P .. 'wkeys', k)
  end
end

-- Removes a lease (or a reservation) from every index; returns its keys.
local function drop_lease(t, rec)
  local keys = split(rec.keys)
  for _, k in ipairs(keys) do redis.call('SREM', kheld(k), t) end
  redis.call('DEL', lkey(t))
  redis.call('ZREM', P .. 'exp', t)
  if rec.hid and rec.hid ~= '' then redis.call('SREM', P .. 'host:' .. rec.hid, t) end
  return keys
end

-- Reserves the ticket's slots (a lease record named by the ticket, with no owner) and queues its wake.
local function reserve(t, tk)
  local keys = split(tk.keys)
  local exp = NOW + RESERVATION_MS
  redis.call('HSET', lkey(t), 'keys', tk.keys, 'limits', tk.limits, 'host', '', 'hid', '', 'pid', 0, 'st', 0,
    'label', 'reserved for a woken ticket', 'at', NOW, 'exp', exp, 'req', 0, 'ref', tk.ref, 'res', 1, 'ep', EPOCH, 'sc', tk.scope)
  redis.call('ZADD', P .. 'exp', exp, t)
  for _, k in ipairs(keys) do
    redis.call('SADD', kheld(k), t)
    redis.call('HINCRBY', kstat(k), 'wakes_sent', 1)
  end
  unlist(t, tk)
  redis.call('HSET', tkey(t), 'state', 'reserved')
  redis.call('RPUSH', P .. 'wakes:' .. tk.scope, t)
  if tk.scope == SCOPE then WOKEN = WOKEN + 1 end
end

-- Hands the free slots of these keys to the next tickets whose keys all have
-- room, in fair order (smallest start tag + SCALE / effective weight, the
-- older ticket on a tie); returns how many were handed a slot. Nothing is
-- handed on while an emptied store is distrusted.
local function handoff(names)
  if holding() then return 0 end
  local seen, cands = {}, {}
  for _, k in ipairs(names) do
    if redis.call('ZCARD', kline(k)) > 0 then
      for _, t in ipairs(redis.call('ZRANGE', kline(k), 0, WINDOW - 1)) do
        if not seen[t] then
          seen[t] = true
          local f = redis.call('HMGET', tkey(t), 'state', 'lapsed', 'start', 'weight', 'first', 'seq', 'keys', 'limits', 'ref', 'scope')
          if f[1] == 'waiting' and f[2] == '0' then
            local w = tonumber(f[4])
            cands[#cands + 1] = { t = t, score = score(tonumber(f[3]), w, math.max(0, NOW - tonumber(f[5]))), first = tonumber(f[5]), seq = tonumber(f[6]),
              keys = f[7], limits = f[8], ref = f[9], scope = f[10] or '' }
          elseif not f[1] then
            redis.call('ZREM', kline(k), t) -- a ticket that is gone
          end
        end
      end
    end
  end
  if #cands == 0 then return 0 end
  table.sort(cands, function(a, b)
    if a.score ~= b.score then return a.score < b.score end
    if a.first ~= b.first then return a.first < b.first end -- on a tie the ticket first deferred earlier
    return a.seq < b.seq
  end)
  local counts, caps, served = {}, {}, 0
  for _, c in ipairs(cands) do
    local keys, limits, fits = split(c.keys), split(c.limits), true
    for i, k in ipairs(keys) do
      counts[k] = counts[k] or redis.call('SCARD', kheld(k))
      -- A key's record may cap it (a provider's adaptive limit, an open circuit): that wins over the
      -- limit the ticket was queued under.
      caps[k] = caps[k] or tonumber(redis.call('HGET', P .. 'r:' .. k, 'cap') or 0)
      local limit = caps[k] > 0 and caps[k] or tonumber(limits[i])
      if caps[k] < 0 or counts[k] >= limit then fits = false break end
    end
    if fits then
      reserve(c.t, { keys = c.keys, limits = c.limits, ref = c.ref, scope = c.scope })
      for _, k in ipairs(keys) do counts[k] = counts[k] + 1 end
      served = served + 1
    end
  end
  return served
end

-- A reservation's slots are gone: its ticket waits again (lapsed: not handed a
-- slot until its action shows up again; reset: at once).
local function reservation_gone(t, lapsed)
  local tk = record(tkey(t))
  if tk and tk.state == 'reserved' then list(t, tk, lapsed) end
end

-- Frees a lease whose owner died or whose TTL ran out: counted, a dead
-- holder's action id kept for takeStranded(), a lapsed reservation's ticket
-- back in line; its slots go to the line.
local function reclaim(t, rec, why)
  local keys = drop_lease(t, rec)
  for _, k in ipairs(keys) do
    redis.call('HINCRBY', kstat(k), why == 'expired' and 'reclaimed_expired' or 'reclaimed_dead', 1)
    if rec.res == '1' and why == 'expired' then redis.call('HINCRBY', kstat(k), 'wakes_lapsed', 1) end
  end
  if rec.res == '1' then
    reservation_gone(t, why == 'expired')
  elseif why == 'dead' and tonumber(rec.ref) > 0 then
    redis.call('RPUSH', P .. 'stranded:' .. (rec.sc or ''), rec.ref .. '\n' .. rec.pid .. '\n' .. rec.label)
  end
  handoff(keys)
end

-- Reclaims the leases a process of this host found dead (token, pid, start
-- time triplets from ARGV[from..]), each only if it is still that owner's and
-- no provider request of it can still be running; returns how many.
local function reclaim_dead(hid, from, count)
  local n = 0
  for i = from, from + 3 * count - 1, 3 do
    local t = ARGV[i]
    local rec = record(lkey(t))
    if rec and rec.res ~= '1' and rec.hid == hid and rec.pid == ARGV[i + 1] and rec.st == ARGV[i + 2] and tonumber(rec.req) <= NOW then
      reclaim(t, rec, 'dead')
      n = n + 1
    end
  end
  return n
end

-- Reclaims the expired leases (and lapsed reservations) of one key, or of the whole store (k == nil).
local function reclaim_expired(k)
  local n = 0
  local tokens
  if k then tokens = redis.call('SMEMBERS', kheld(k)) else tokens = redis.call('ZRANGEBYSCORE', P .. 'exp', '-inf', NOW) end
  for _, t in ipairs(tokens) do
    local rec = record(lkey(t))
    if not rec then
      if k then redis.call('SREM', kheld(k), t) end
      redis.call('ZREM', P .. 'exp', t)
    elseif tonumber(rec.exp) <= NOW then
      reclaim(t, rec, 'expired')
      n = n + 1
    end
  end
  return n
end

-- The leases of this host that a process may check for a dead owner: token, pid, start time.
local function local_holders(hid, k)
  local out = {}
  if hid == '' then return out end
  local tokens
  if k then tokens = redis.call('SMEMBERS', kheld(k)) else tokens = redis.call('SMEMBERS', P .. 'host:' .. hid) end
  for _, t in ipairs(tokens) do
    local f = redis.call('HMGET', lkey(t), 'hid', 'pid', 'st', 'req', 'res')
    if f[1] == hid and f[5] ~= '1' and tonumber(f[4]) <= NOW then
      out[#out + 1] = t
      out[#out + 1] = f[2]
      out[#out + 1] = f[3]
    end
  end
  return out
end

-- A ticket as the operators' views read it: its fields, its token and its reservation's expiry (flat), or nil.
local function ticket_row(t)
  local flat = redis.call('HGETALL', tkey(t))
  if #flat == 0 then return nil end
  flat[#flat + 1] = 'token'
  flat[#flat + 1] = t
  flat[#flat + 1] = 'reserved_until'
  flat[#flat + 1] = redis.call('HGET', lkey(t), 'exp') or '0'
  return flat
end

-- Removes a ticket from every index; a reservation it held goes back (returned: its keys, for a hand-off).
local function drop_ticket(t, tk)
  unlist(t, tk)
  redis.call('DEL', tkey(t))
  if redis.call('HGET', P .. 'refs', refkey(tk.scope, tk.ref)) == t then redis.call('HDEL', P .. 'refs', refkey(tk.scope, tk.ref)) end
  redis.call('ZREM', P .. 'tickets', t)
  redis.call('ZREM', P .. 'qq:' .. tk.queue, t)
  redis.call('ZREM', P .. 'ks:' .. tk.keys, t)
  redis.call('ZREM', P .. 'firsts:' .. tk.scope, t)
  redis.call('LREM', P .. 'wakes:' .. tk.scope, 0, t)
  if tk.state == 'reserved' then
    local res = record(lkey(t))
    if res and res.res == '1' then return drop_lease(t, res) end
  end
  return {}
end

-- Token buckets (b:<key>): Redis's own clock (TIME, microseconds) for every instant, so the hosts that share
-- this Redis share each bucket whatever their own clocks say.
local function bkey(k) return P .. 'b:' .. k end
local function num(x) return string.format('%.17g', x) end
local function instant(x) return string.format('%d', x) end

local function bucket(k)
  local f = redis.call('HMGET', bkey(k), 'rate', 'burst', 'lrate', 'lburst', 'full', 'pause')
  return { rate = tonumber(f[1] or '0') or 0, burst = tonumber(f[2] or '0') or 0, lrate = tonumber(f[3] or '0') or 0,
    lburst = tonumber(f[4] or '0') or 0, full = tonumber(f[5] or '0') or 0, pause = tonumber(f[6] or '0') or 0 }
end

local function bucket_level(rate, burst, full)
  if rate <= 0 then return burst end
  return burst - rate * math.max(0, full - NOW_US) / 1e6
end

-- Microseconds until `tokens` may be taken under (rate, burst): 0 when now.
local function bucket_wait(rate, burst, b, tokens)
  local paused = math.max(0, b.pause - NOW_US)
  local short = 0
  if rate > 0 then
    local need = math.min(math.max(tokens, 0), burst)
    local level = bucket_level(rate, burst, b.full)
    if level < need then short = math.max(1, math.ceil((need - level) / rate * 1e6)) end
  end
  return math.max(paused, short)
end
