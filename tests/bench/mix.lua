-- 90/10 read/write: nine GETs of the list (wrk's URL) then one durable POST create, with the
-- Authorization header in AUTH.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")

local get, post, i

function init(args)
  local auth = os.getenv("AUTH")
  get = wrk.format("GET", nil, {Authorization = auth})
  post = wrk.format("POST", nil, {Authorization = auth, ["Content-Type"] = "application/json"},
                    '{"name":"Mix","department":"engineering","salary":"2000"}')
  i = 0
end

function request()
  i = i + 1
  return i % 10 == 0 and post or get
end
