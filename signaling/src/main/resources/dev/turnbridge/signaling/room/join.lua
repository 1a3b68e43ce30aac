-- Takes a seat atomically: two joins racing for the last seat from two nodes never both succeed.
-- Members whose lease ran out (their node died and stopped renewing) give their seats back first.
-- KEYS[1] room hash, KEYS[2] members hash (peer id -> "<join order> <member json>"),
-- KEYS[3] leases (sorted set: peer id -> lease end ms), KEYS[4] code reservation
-- ARGV: peer id, member json, now ms, lease end ms
-- Returns {status, room fields, members, lapsed peer ids[, expiry ms of a room gone with its TTL]};
-- status joined | full | expired | not_found.
if redis.call('EXISTS', KEYS[1]) == 0 then
  local reserved = redis.call('GET', KEYS[4])
  if reserved then
    return {'expired', {}, {}, {}, reserved}
  end
  return {'not_found', {}, {}, {}}
end
local expires = tonumber(redis.call('HGET', KEYS[1], 'expires'))
if expires <= tonumber(ARGV[3]) then
  return {'expired', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), {}}
end
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', ARGV[3])
for _, peer in ipairs(lapsed) do
  redis.call('HDEL', KEYS[2], peer)
  redis.call('ZREM', KEYS[3], peer)
end
local capacity = tonumber(redis.call('HGET', KEYS[1], 'capacity'))
if redis.call('HLEN', KEYS[2]) >= capacity then
  return {'full', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), lapsed}
end
local order = redis.call('HINCRBY', KEYS[1], 'joins', 1)
redis.call('HSET', KEYS[2], ARGV[1], order .. ' ' .. ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('PEXPIREAT', KEYS[2], expires)
redis.call('PEXPIREAT', KEYS[3], expires)
return {'joined', redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]), lapsed}
