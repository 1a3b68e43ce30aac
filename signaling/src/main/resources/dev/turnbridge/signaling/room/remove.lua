-- Ends a room now (an operator closed it): returns its fields and members and deletes them. The code stays
-- reserved (KEYS[4]) until its reservation ends, so old links say "expired", never lead to a new room.
-- KEYS[1] room hash, KEYS[2] members hash, KEYS[3] leases, KEYS[4] code reservation; ARGV: now ms
if redis.call('EXISTS', KEYS[1]) == 0 then
  return {{}, {}}
end
local room = redis.call('HGETALL', KEYS[1])
local members = redis.call('HGETALL', KEYS[2])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
return {room, members}
