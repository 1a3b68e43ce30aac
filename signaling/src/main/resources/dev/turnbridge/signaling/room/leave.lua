-- Removes one member. KEYS[1] members hash, KEYS[2] leases; ARGV: peer id. Returns 1 removed, 0 not there.
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HDEL', KEYS[1], ARGV[1])
