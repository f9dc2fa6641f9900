-- moveTicket: the ticket follows its action to a new queued copy (ARGV[6] ticket, ARGV[7] ref).
-- A ticket reserved already is woken again (a wake taken before the move named the old copy).
-- Returns 1, or 0 when the ticket is gone.
local t, ref = ARGV[6], ARGV[7]
local tk = record(tkey(t))
if not tk then return 0 end
if redis.call('HGET', P .. 'refs', tk.ref) == t then redis.call('HDEL', P .. 'refs', tk.ref) end
redis.call('HSET', P .. 'refs', ref, t)
redis.call('HSET', tkey(t), 'ref', ref)
if tk.state == 'reserved' and redis.call('HGET', lkey(t), 'res') == '1' then
  redis.call('HSET', lkey(t), 'ref', ref)
  redis.call('RPUSH', P .. 'wakes', t)
end
return 1
