-- ingress_events.lua - wrk script for bench/ingress_bench.sh: POSTs a
-- realistic ~400-byte message.received ContactEvent to /api/v1/events with
-- a varying contact_id, counts 202 and non-202 answers per thread, and
-- prints the totals and latency percentiles (microseconds) when done.
local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

function init(args)
   n202 = 0
   nother = 0
   seq = 0
   math.randomseed(os.time() + tid * 7919)
end

local template = '{"contact_id":"contact-%d","type":"message.received",' ..
   '"channel":"chat","occurred_at":"2026-11-26T23:00:00.000Z","sequence":%d,' ..
   '"participant":{"role":"customer","id":"cust-%d"},' ..
   '"text":"Hi, I was charged twice for my subscription this month and I ' ..
   'want a refund. This is the third billing problem this year; if it is ' ..
   'not fixed today I will cancel and move to another provider.",' ..
   '"language":"en","attributes":{"crm_ticket":"T-%d"}}'

local headers = { ["Content-Type"] = "application/json" }

function request()
   seq = seq + 1
   local contact = math.random(1, 20000)
   local body = string.format(template, contact, seq, contact, seq)
   return wrk.format("POST", "/api/v1/events", headers, body)
end

function response(status, hdrs, body)
   if status == 202 then
      n202 = n202 + 1
   else
      nother = nother + 1
   end
end

function done(summary, latency, requests)
   local a, b = 0, 0
   for _, t in ipairs(threads) do
      a = a + t:get("n202")
      b = b + t:get("nother")
   end
   io.write(string.format("BENCH_202=%d\n", a))
   io.write(string.format("BENCH_OTHER=%d\n", b))
   io.write(string.format("BENCH_ERRORS=%d\n", summary.errors.connect +
      summary.errors.read + summary.errors.write + summary.errors.timeout))
   io.write(string.format("BENCH_RPS=%.1f\n",
      summary.requests / (summary.duration / 1e6)))
   io.write(string.format("BENCH_P50_US=%d\n", latency:percentile(50)))
   io.write(string.format("BENCH_P99_US=%d\n", latency:percentile(99)))
end
