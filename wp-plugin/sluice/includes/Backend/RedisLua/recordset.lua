-- Compare-and-set of a key's record (RecordStore::writeRecord): ARGV[7] the key, ARGV[8] the version the
-- writer read (0: none), ARGV[9] the new data, ARGV[10] the key's cap for the waiting line ('' keeps it;
-- -1: no hand-off; 0: none; else the key's limit for hand-offs). Returns 1 when written (the version is
-- then one higher), 0 when the record is at another version. A cap that changed hands free slots on at once.
local key = P .. 'r:' .. ARGV[7]
local f = redis.call('HMGET', key, 'v', 'cap')
local v = tonumber(f[1] or 0)
if v ~= tonumber(ARGV[8]) then return done(0) end
redis.call('HSET', key, 'v', v + 1, 'd', ARGV[9], 'at', NOW)
if ARGV[10] ~= '' and tonumber(ARGV[10]) ~= tonumber(f[2] or 0) then
  redis.call('HSET', key, 'cap', tonumber(ARGV[10]))
  handoff({ARGV[7]})
end
return done(1)
