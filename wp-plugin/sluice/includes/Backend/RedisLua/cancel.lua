-- cancelTicket: the ticket leaves the line; a reservation it held goes to the next ticket.
-- ARGV[7]: ticket. Returns 1, or 0 when it was gone.
local t = ARGV[7]
local tk = record(tkey(t))
if not tk or tk.scope ~= SCOPE then return done(0) end -- another blog's ticket is not this caller's to cancel
handoff(drop_ticket(t, tk))
return done(1)
