-- Puts one signal in the inbox of every member it is for and sends it to the nodes subscribed to the room, in
-- one step: nodes receive a room's signals in the order of its inboxes, and a signal acknowledged to its sender
-- is in every recipient's inbox, whatever happens to the recipient's node. Inbox entries are numbered densely
-- (<n>-0), so a gap left by trimming is visible.
-- KEYS[1] members hash, KEYS[2] room hash (inboxes live as long as the room), KEYS[3] received (hash: peer id ->
-- highest client seq published), KEYS[4] inbox counts (hash: peer id -> entries ever added), KEYS[5] the room's
-- shard channel
-- ARGV: node id, message, most entries kept per inbox, inbox key prefix (followed by the peer id), sender peer
-- id, its seq (0: none), to ('' for all others), self ('1': the sender gets it too)
-- Returns the number of recipients, -1 when the room is gone, -2 when `to` is not a member.
-- A key gets the room's expiry once, when it is created (a room's expiry never moves).
local expires = redis.call('PEXPIRETIME', KEYS[2])
if expires <= 0 then
  return -1
end
local sender = ARGV[5]
local recipients = {}
if ARGV[7] ~= '' and ARGV[7] ~= sender then
  if redis.call('HEXISTS', KEYS[1], ARGV[7]) == 0 then
    return -2
  end
  recipients[1] = ARGV[7]
elseif ARGV[7] == '' then
  for _, peer in ipairs(redis.call('HKEYS', KEYS[1])) do
    if peer ~= sender then
      recipients[#recipients + 1] = peer
    end
  end
end
if ARGV[8] == '1' then
  recipients[#recipients + 1] = sender
end
local where = {}
for i, peer in ipairs(recipients) do
  local inbox = ARGV[4] .. peer
  local n = redis.call('HINCRBY', KEYS[4], peer, 1)
  redis.call('XADD', inbox, 'MAXLEN', '~', ARGV[3], n .. '-0', 'm', ARGV[2])
  if n == 1 then
    redis.call('PEXPIREAT', inbox, expires)
    redis.call('PEXPIREAT', KEYS[4], expires)
  end
  where[i] = peer .. ' ' .. n .. '-0'
end
if tonumber(ARGV[6]) > tonumber(redis.call('HGET', KEYS[3], sender) or '0') then
  if redis.call('HSET', KEYS[3], sender, ARGV[6]) == 1 then
    redis.call('PEXPIREAT', KEYS[3], expires)
  end
end
redis.call('SPUBLISH', KEYS[5], ARGV[1] .. '\n' .. table.concat(where, ' ') .. '\n' .. ARGV[2])
return #recipients
