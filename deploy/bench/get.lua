-- A plain GET of the URL on the wrk command line.
--   BENCH_AUTH   optional Authorization header value (a bearer token)
-- common.lua sits beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

local auth = os.getenv("BENCH_AUTH")
if auth and auth ~= "" then
   wrk.headers["Authorization"] = auth
end
