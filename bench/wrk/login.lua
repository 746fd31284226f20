-- POST /api/login/: a random customer logs in (one Argon2 verification per request).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local n = #BENCH_USERNAMES

function request()
   local body = string.format('{"username":"%s","password":"%s"}', BENCH_USERNAMES[math.random(n)], BENCH_PASSWORD)
   return wrk.format("POST", "/api/login/", { ["Content-Type"] = "application/json" }, body)
end
