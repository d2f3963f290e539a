-- POST the same form body to the URL on the wrk command line.
--   BENCH_BODY   the urlencoded body
--   BENCH_AUTH   optional Authorization header value
-- common.lua sits beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or error("BENCH_BODY is not set")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
   wrk.headers["Authorization"] = auth
end
