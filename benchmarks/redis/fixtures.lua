-- Prepares records for redis-benchmark, in the layout the store's scripts keep (see claim.lua), under the keys
-- redis-benchmark's __rand_int__ produces: <prefix>{000000000000} ... (12 digits).
-- ARGV[1] the key prefix   ARGV[2] how many keys   ARGV[3] 'P' (in progress) or 'C' (completed)
-- ARGV[4] the fingerprint  ARGV[5] the owner token  ARGV[6] the body of a completed record
-- Not one of the measured scripts: it only sets the scene, and touches keys of every slot (standalone only).
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local expiresAt = now + 3600 * 1000000
local function micros(n) return string.format('%.0f', n) end
for i = 0, tonumber(ARGV[2]) - 1 do
  local key = ARGV[1] .. '{' .. string.format('%012d', i) .. '}'
  redis.call('DEL', key)
  if ARGV[3] == 'P' then
    redis.call('HSET', key, 'f', ARGV[4], 's', 'P', 'o', ARGV[5], 'l', micros(expiresAt), 'c', micros(now),
        'e', micros(expiresAt))
  else
    redis.call('HSET', key, 'f', ARGV[4], 's', 'C', 'o', ARGV[5], 'c', micros(now), 'e', micros(expiresAt),
        'rs', '201', 'rh', '', 'rb', ARGV[6])
  end
  redis.call('PEXPIREAT', key, micros(math.ceil(expiresAt / 1000)))
end
return tonumber(ARGV[2])
