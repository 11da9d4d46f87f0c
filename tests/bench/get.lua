-- GET one path (wrk's URL) with the Authorization header in AUTH, or, when TOKENS names a file
-- of access tokens (one a line), with "Bearer <token>" rotating over all of them so that no
-- verification can be cached. Requests are formatted once in init: per request wrk only hands
-- back a prepared string, the same client work for every row that uses this script.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local reqs, n, i = {}, 0, 0
local threads = 0

function setup(thread)
  thread:set("index", threads)
  threads = threads + 1
end

function init(args)
  local file = os.getenv("TOKENS")
  if file and file ~= "" then
    for t in io.lines(file) do
      n = n + 1
      reqs[n] = wrk.format(nil, nil, {Authorization = "Bearer " .. t})
    end
  else
    n = 1
    reqs[1] = wrk.format(nil, nil, {Authorization = os.getenv("AUTH")})
  end
  -- each wrk thread starts at its own place in the list
  i = (tonumber(wrk.thread:get("index")) or 0) * math.floor(n / 2)
end

function request()
  i = i % n + 1
  return reqs[i]
end
