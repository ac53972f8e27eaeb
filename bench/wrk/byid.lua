-- wrk script: GET /api/v1/public/projects/{id} with a random id in 1..MAX_ID.
-- MAX_ID comes from the environment (bench/api_read.sh sets it to the row count).
local max_id = tonumber(os.getenv("MAX_ID") or "1000000")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", os.time() * 1000 + counter)
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  return wrk.format("GET", "/api/v1/public/projects/" .. math.random(1, max_id))
end
