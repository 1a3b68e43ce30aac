-- A node renews the leases of its own members of one room and removes the members whose lease lapsed
-- (another node died). KEYS[1] members hash, KEYS[2] leases; ARGV: now ms, lease end ms, peer ids...
-- Returns {peer ids no longer members (left or lapsed: the node must drop them), lapsed {id, member} pairs}.
local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
local removed = {}
for _, peer in ipairs(lapsed) do
  local member = redis.call('HGET', KEYS[1], peer)
  redis.call('HDEL', KEYS[1], peer)
  redis.call('ZREM', KEYS[2], peer)
  if member then
    removed[#removed + 1] = peer
    removed[#removed + 1] = member
  end
end
local gone = {}
for i = 3, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], 'XX', ARGV[2], ARGV[i])
  else
    gone[#gone + 1] = ARGV[i]
  end
end
return {gone, removed}
