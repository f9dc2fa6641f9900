-- moveTicket: the ticket follows its action to a new scheduled copy (ARGV[7] ticket, ARGV[8] ref).
-- A ticket reserved already is woken again (a wake taken before the move named the old copy).
-- Returns 1, or 0 when the ticket is gone.
local t, ref = ARGV[7], ARGV[8]
local tk = record(tkey(t))
if not tk or tk.scope ~= SCOPE then return done(0) end -- another blog's ticket is not this caller's to move
if redis.call('HGET', P .. 'refs', refkey(SCOPE, tk.ref)) == t then redis.call('HDEL', P .. 'refs', refkey(SCOPE, tk.ref)) end
redis.call('HSET', P .. 'refs', refkey(SCOPE, ref), t)
redis.call('HSET', tkey(t), 'ref', ref)
if tk.state == 'reserved' and redis.call('HGET', lkey(t), 'res') == '1' then
  redis.call('HSET', lkey(t), 'ref', ref)
  redis.call('RPUSH', P .. 'wakes:' .. SCOPE, t)
  WOKEN = WOKEN + 1
end
return done(1)
