-- POST create an employee (wrk's URL) with the Authorization header in AUTH. Each 201 is a
-- durable commit: the service replies only after the group commit's fsync.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.body = '{"name":"Bench","department":"sales","salary":"1000"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("AUTH")
