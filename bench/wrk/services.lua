-- GET /api/services/ anonymously: the framework's floor (routing, DRF, one small query).
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local req

function request()
   if not req then
      req = wrk.format("GET", "/api/services/", { ["Accept"] = "application/json" })
   end
   return req
end
