-- Reads a record whose TTL has not passed.
-- KEYS[1]  the record
-- Returns {1, now, f, s, o, l, c, e, rs, rh, rb, rp, rd}, or {0} when there is no live record.
local key = KEYS[1]
local record = redis.call('HMGET', key, 'f', 's', 'o', 'l', 'c', 'e', 'rs', 'rh', 'rb', 'rp', 'rd')
if not record[2] then
  return {0}
end
-- Effects replication (the only mode from Redis 7 on): replicas get the writes, never re-run TIME.
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
if tonumber(record[6]) <= now then
  return {0}
end
return {1, now, unpack(record)}
