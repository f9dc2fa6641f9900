-- cancelTicket: the ticket leaves the line; a reservation it held goes to the next ticket.
-- ARGV[6]: ticket. Returns 1, or 0 when it was gone.
local t = ARGV[6]
local tk = record(tkey(t))
if not tk then return 0 end
handoff(drop_ticket(t, tk))
return 1
