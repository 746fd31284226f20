-- POST /api/withdrawal/: a random customer withdraws a small amount.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local n = #BENCH_TOKENS

function request()
   local body = string.format('{"amount":"%d.%02d"}', math.random(1, 20), math.random(0, 99))
   return wrk.format("POST", "/api/withdrawal/", {
      ["Authorization"] = "Bearer " .. BENCH_TOKENS[math.random(n)],
      ["Content-Type"] = "application/json",
   }, body)
end
