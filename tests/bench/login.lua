-- POST login/ with the bench user's e-mail and password (LOGIN_BODY): a successful login is
-- an Argon2id hash (the default m=7 MiB, t=5) on auth's low-priority pool, by design the slowest request.
dofile(os.getenv("BENCH_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.body = os.getenv("LOGIN_BODY")
wrk.headers["Content-Type"] = "application/json"
