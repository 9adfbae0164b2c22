-- Deletes a completed record for an operator, fenced by the owner token the operator read.
-- KEYS[1]  the record   ARGV[1] the owner token
-- Returns {1} when deleted, {0} when there is no live completed record with that token (the key is unknown, in
-- progress, past its expiry, or was claimed and completed afresh since the token was read).
local key = KEYS[1]
local current = redis.call('HMGET', key, 's', 'o', 'e')
if current[1] ~= 'C' or current[2] ~= ARGV[1] then
  return {0}
end
-- Effects replication (the only mode from Redis 7 on): replicas get the writes, never re-run TIME.
redis.replicate_commands()
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
if tonumber(current[3]) <= now then
  -- Past its expiry (Redis removes it a millisecond later at most): absent, as for every other script.
  return {0}
end
redis.call('DEL', key)
return {1}
