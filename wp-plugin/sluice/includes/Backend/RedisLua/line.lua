-- The whole waiting line: {now, ticket fields (ticket_row) ...}.
local reply = { NOW }
for _, t in ipairs(redis.call('ZRANGE', P .. 'tickets', 0, -1)) do
  local row = ticket_row(t)
  if row then reply[#reply + 1] = row end
end
return done(reply)
