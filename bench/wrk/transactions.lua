-- GET /api/transactions/?page_size=100 as the manager: the newest 100 ledger transactions.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local req

function request()
   if not req then
      req = wrk.format("GET", "/api/transactions/?page_size=100", {
         ["Authorization"] = "Bearer " .. BENCH_MANAGER_TOKEN,
         ["Accept"] = "application/json",
      })
   end
   return req
end
