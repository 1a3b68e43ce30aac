-- Creates a room unless its code was ever given out and is still reserved (live, or retired after expiry).
-- KEYS[1] room hash, KEYS[2] code reservation; all keys of a room share the hash tag {code}.
-- ARGV: capacity, created-at ms, expires-at ms, creator ('' for none), visibility, reserved-until ms
-- Returns 1 created, 0 the code is taken.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('HSET', KEYS[1], 'capacity', ARGV[1], 'created', ARGV[2], 'expires', ARGV[3],
  'creator', ARGV[4], 'visibility', ARGV[5], 'joins', 0)
-- the room's expiry is its key's TTL
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[3], 'PXAT', ARGV[6])
return 1
