-- Stores the response of the caller's claim, fenced by its owner token.
-- KEYS[1]  the record
-- ARGV[1]  the owner token   ARGV[2] the retention in milliseconds
-- ARGV[3]  the response status, ARGV[4] its encoded headers, ARGV[5] its body (bytes, as given)
-- Returns {1, expiresAt} when completed, {0} when the caller no longer owns an in-progress record.
local key = KEYS[1]
local current = redis.call('HMGET', key, 's', 'o')
if current[1] ~= 'P' or current[2] ~= ARGV[1] then
  return {0}
end
-- Effects replication (the only mode from Redis 7 on): replicas get the writes, never re-run TIME.
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local expiresAt = now + tonumber(ARGV[2]) * 1000
redis.call('HSET', key, 's', 'C', 'rs', ARGV[3], 'rh', ARGV[4], 'rb', ARGV[5],
    'e', string.format('%.0f', expiresAt))
redis.call('HDEL', key, 'l')
redis.call('PEXPIREAT', key, string.format('%.0f', math.ceil(expiresAt / 1000)))
return {1, expiresAt}
