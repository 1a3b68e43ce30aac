-- What a member resuming on another node needs, read in one step.
-- KEYS[1] its inbox (stream), KEYS[2] received (hash: peer id -> highest client seq published), KEYS[3] inbox
-- counts (hash: peer id -> entries ever added)
-- ARGV: peer id, the last inbox position the member has seen (exclusive), most entries returned
-- Returns {received seq, entries ever added to its inbox, its oldest entry's id ('' when empty), the entries
-- after the position}.
local received = redis.call('HGET', KEYS[2], ARGV[1]) or '0'
local added = redis.call('HGET', KEYS[3], ARGV[1]) or '0'
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
local first = ''
if oldest[1] then
  first = oldest[1][1]
end
return {received, added, first, redis.call('XRANGE', KEYS[1], '(' .. ARGV[2], '+', 'COUNT', ARGV[3])}
