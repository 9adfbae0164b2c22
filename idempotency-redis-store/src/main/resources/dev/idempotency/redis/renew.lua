-- Extends the caller's lease, and with a recovery point records it too (a checkpoint); fenced by the owner token.
-- KEYS[1]  the record
-- ARGV[1]  the owner token   ARGV[2] the lease in milliseconds
-- ARGV[3]  the recovery phase, ARGV[4] its payload: both present for a checkpoint, both absent for a renewal
-- Returns {1, leaseExpiresAt} when renewed, {0} when the caller no longer owns an in-progress record.
local key = KEYS[1]
local current = redis.call('HMGET', key, 's', 'o', 'e')
if current[1] ~= 'P' or current[2] ~= ARGV[1] then
  return {0}
end
-- Effects replication (the only mode from Redis 7 on): replicas get the writes, never re-run TIME.
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local leaseEnd = now + tonumber(ARGV[2]) * 1000
-- The record outlives its lease, so a live lease is never taken for an expired record.
local expiresAt = math.max(tonumber(current[3]), leaseEnd)
redis.call('HSET', key, 'l', string.format('%.0f', leaseEnd), 'e', string.format('%.0f', expiresAt))
if #ARGV >= 4 then
  redis.call('HSET', key, 'rp', ARGV[3], 'rd', ARGV[4])
end
redis.call('PEXPIREAT', key, string.format('%.0f', math.ceil(expiresAt / 1000)))
return {1, leaseEnd}
