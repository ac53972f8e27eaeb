-- wrk script: paged list, 20 rows, filter on status + sort on registered_on
-- (both covered by the index project_status_reg), random page in 1..MAX_PAGE.
local max_page = tonumber(os.getenv("MAX_PAGE") or "50")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", os.time() * 1000 + counter)
end

function init(args)
  math.randomseed(seed or os.time())
end

function request()
  return wrk.format("GET", "/api/v1/public/projects?status=under_construction&sort=-registered_on&page="
    .. math.random(1, max_page) .. "&size=20")
end
