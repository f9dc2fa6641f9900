-- renew / requestStarted / requestFinished of a held lease.
-- ARGV[7..]: token, what (renew | start | finish), ms (the new TTL, or the request's longest time), then the
-- lease as its holder knows it: epoch, keys, limits (newline separated), label, host, host id, pid, start time,
-- ref, ttl ms; then, for start, a TTL (ms) to renew the lease to in the same call (0: none).
-- A lease the store lost because the store itself was emptied (another epoch: a Redis restart without
-- persistence) is entered again: its holder still runs and must count against the limit.
-- Returns 1, or 0 when the lease is no longer held (released, reclaimed, reset).
local t, what, ms = ARGV[7], ARGV[8], tonumber(ARGV[9])
if redis.call('EXISTS', lkey(t)) == 0 then
  if ARGV[10] == EPOCH or ARGV[11] == '' then return done(0) end
  local keys, lims = split(ARGV[11]), split(ARGV[12])
  local hid, ttl = ARGV[15], tonumber(ARGV[19])
  redis.call('HSET', lkey(t), 'keys', ARGV[11], 'limits', ARGV[12], 'label', ARGV[13], 'host', ARGV[14],
    'hid', hid, 'pid', ARGV[16], 'st', ARGV[17], 'at', NOW, 'exp', NOW + ttl, 'req', 0, 'ref', ARGV[18], 'res', 0, 'ep', EPOCH, 'sc', SCOPE)
  redis.call('ZADD', P .. 'exp', NOW + ttl, t)
  if hid ~= '' then redis.call('SADD', P .. 'host:' .. hid, t) end
  for i, k in ipairs(keys) do
    redis.call('SADD', kheld(k), t)
    redis.call('SADD', P .. 'keys', k)
    redis.call('HINCRBY', kstat(k), 'readmitted', 1)
    if redis.call('HEXISTS', kstat(k), 'limit') == 0 then redis.call('HSET', kstat(k), 'limit', lims[i], 'peak_since', NOW) end
  end
end
if what == 'renew' then
  redis.call('HSET', lkey(t), 'exp', NOW + ms)
  redis.call('ZADD', P .. 'exp', NOW + ms, t)
elseif what == 'start' then
  redis.call('HSET', lkey(t), 'req', NOW + ms)
  local renew = tonumber(ARGV[20] or '0')
  if renew > 0 then
    redis.call('HSET', lkey(t), 'exp', NOW + renew)
    redis.call('ZADD', P .. 'exp', NOW + renew, t)
  end
else
  redis.call('HSET', lkey(t), 'req', 0)
end
return done(1)
