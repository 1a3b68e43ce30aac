-- Reserves one entry in a sorted set of codes scored by expiry (the live-room index, or one creator's
-- rooms), unless LIMIT live entries are there already. Expired entries are dropped first.
-- KEYS[1] the set; ARGV: code, expires-at ms, now ms, limit
-- Returns 1 reserved, 0 at the limit, -1 the code is already in the set.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return -1
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
-- the set lives as long as its longest-lived entry
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIREAT', KEYS[1], last[2])
return 1
