-- Claims one idempotency key, atomically: the claim rule of dev.idempotency.core.store.ClaimDecision in Lua.
-- KEYS[1]  the record (a hash)
-- ARGV[1]  the claim's fingerprint   ARGV[2] the claim's owner token
-- ARGV[3]  the lease in milliseconds ARGV[4] the TTL in milliseconds
-- Returns {outcome, now, f, s, o, l, c, e, rs, rh, rb, rp, rd}: outcome 0 acquired a fresh record, 1 took over an
-- expired lease, 2 answers with the record as it stands. Times are microseconds of the Redis server's clock.
-- Effects replication (the only mode from Redis 7 on): replicas get the writes, never re-run TIME.
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local function micros(n) return string.format('%.0f', n) end
local function expireAt(key, expiresAt) redis.call('PEXPIREAT', key, micros(math.ceil(expiresAt / 1000))) end
local key = KEYS[1]
local fields = {'f', 's', 'o', 'l', 'c', 'e', 'rs', 'rh', 'rb', 'rp', 'rd'}
local record = redis.call('HMGET', key, unpack(fields))
local fingerprint, status, lease, expires = record[1], record[2], record[4], record[6]
local outcome
if not status or tonumber(expires) <= now then
  -- No record, or its TTL passed (Redis removes it a millisecond later at most): a fresh record.
  local leaseEnd = now + tonumber(ARGV[3]) * 1000
  local expiresAt = now + tonumber(ARGV[4]) * 1000
  redis.call('DEL', key)
  redis.call('HSET', key, 'f', ARGV[1], 's', 'P', 'o', ARGV[2], 'l', micros(leaseEnd), 'c', micros(now),
      'e', micros(expiresAt))
  expireAt(key, expiresAt)
  outcome = 0
elseif status == 'P' and tonumber(lease) <= now and fingerprint == ARGV[1] then
  -- The worker stopped renewing: the same payload takes the key over and keeps the recovery point.
  local leaseEnd = now + tonumber(ARGV[3]) * 1000
  local expiresAt = math.max(tonumber(expires), leaseEnd)
  redis.call('HSET', key, 'o', ARGV[2], 'l', micros(leaseEnd), 'e', micros(expiresAt))
  expireAt(key, expiresAt)
  outcome = 1
else
  -- An answer, a replay among them: the record as read, nothing written.
  return {2, now, unpack(record)}
end
return {outcome, now, unpack(redis.call('HMGET', key, unpack(fields)))}
