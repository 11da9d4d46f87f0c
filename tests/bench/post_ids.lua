-- wrk script: POST employees and append the id of every acknowledged (201) create to the file
-- named by ACKED_IDS, so a later check can prove that no acknowledged write was lost.
wrk.method = "POST"
wrk.body = '{"name":"Bench","department":"sales","salary":1000}'
wrk.headers["Content-Type"] = "application/json"

local out
function init(args)
  out = io.open(os.getenv("ACKED_IDS"), "a")
end

function response(status, headers, body)
  if status == 201 then
    out:write(string.match(body, '"id":(%d+)'), "\n")
    out:flush()
  end
end
