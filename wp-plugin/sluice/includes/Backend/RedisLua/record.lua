-- A key's record (RecordStore::readRecord): ARGV[7] the key.
-- Returns {version, data, now ms, cap}; version 0, '' and cap 0 when the key has none.
local r = redis.call('HMGET', P .. 'r:' .. ARGV[7], 'v', 'd', 'cap')
return done({tonumber(r[1] or 0), r[2] or '', NOW, tonumber(r[3] or 0)})
