-- POST /api/balance-transfer/: a random customer sends a small amount to another random one.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local n = #BENCH_TOKENS

function request()
   local sender = math.random(n)
   local recipient = math.random(n - 1)
   if recipient >= sender then recipient = recipient + 1 end
   local body = string.format('{"recipient_account_no":"%s","amount":"%d.%02d"}',
      BENCH_ACCOUNTS[recipient], math.random(1, 20), math.random(0, 99))
   return wrk.format("POST", "/api/balance-transfer/", {
      ["Authorization"] = "Bearer " .. BENCH_TOKENS[sender],
      ["Content-Type"] = "application/json",
   }, body)
end
