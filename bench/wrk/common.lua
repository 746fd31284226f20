-- Shared by every scenario: loads the seeded data, counts responses by status in each
-- thread, and prints one machine-readable line from done() that bench/run.py parses.
--
-- wrk itself counts only status >= 400 as errors and treats 3xx as success; a bench that
-- is redirected (e.g. to HTTPS) must not look fast, so every non-2xx response counts here.

dofile(os.getenv("BENCH_DATA"))

local threads = {}

function setup(thread)
   thread:set("thread_no", #threads + 1)
   table.insert(threads, thread)
end

ok, non2xx, s3xx, s4xx, s5xx, first_error = 0, 0, 0, 0, 0, ""

function init(args)
   math.randomseed(os.time() * 1000 + (thread_no or 1) * 7919)
   if scenario_init then scenario_init(args) end
end

function response(status, headers, body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   else
      non2xx = non2xx + 1
      if status >= 500 then s5xx = s5xx + 1
      elseif status >= 400 then s4xx = s4xx + 1
      else s3xx = s3xx + 1 end
      if first_error == "" then
         first_error = tostring(status) .. " " .. string.sub(body or "", 1, 300)
      end
   end
end

local function json_string(s)
   s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
   return '"' .. s .. '"'
end

function done(summary, latency, requests)
   local totals = { ok = 0, non2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0 }
   local err = ""
   for _, thread in ipairs(threads) do
      for key, _ in pairs(totals) do
         totals[key] = totals[key] + (thread:get(key) or 0)
      end
      local e = thread:get("first_error")
      if err == "" and e and e ~= "" then err = e end
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "ok": %d, "non2xx": %d, "s3xx": %d, "s4xx": %d, ' ..
      '"s5xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d, "wrk_status_errors": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, ' ..
      '"first_error": %s}\n',
      summary.requests, summary.duration, totals.ok, totals.non2xx, totals.s3xx, totals.s4xx, totals.s5xx,
      e.connect, e.read, e.write, e.timeout, e.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
      latency.max, latency.mean, json_string(err)))
end
