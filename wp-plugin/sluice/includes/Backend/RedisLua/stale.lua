-- staleTickets: up to ARGV[7] tickets of the caller's scope that waited ARGV[8] ms or longer since their
-- first deferral: {now, ticket fields (ticket_row) ...}.
local reply = { NOW }
for _, t in ipairs(redis.call('ZRANGEBYSCORE', P .. 'firsts:' .. SCOPE, '-inf', NOW - tonumber(ARGV[8]), 'LIMIT', 0, tonumber(ARGV[7]))) do
  local row = ticket_row(t)
  if row then
    reply[#reply + 1] = row
  else
    redis.call('ZREM', P .. 'firsts:' .. SCOPE, t)
  end
end
return done(reply)
