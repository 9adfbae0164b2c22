-- Deletes the caller's in-progress record, fenced by its owner token.
-- KEYS[1]  the record   ARGV[1] the owner token
-- Returns {1} when deleted, {0} when the caller no longer owns an in-progress record.
local key = KEYS[1]
local current = redis.call('HMGET', key, 's', 'o')
if current[1] ~= 'P' or current[2] ~= ARGV[1] then
  return {0}
end
redis.call('DEL', key)
return {1}
