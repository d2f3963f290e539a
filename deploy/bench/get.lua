-- A plain GET of the URL on the wrk command line (the baseline).
-- common.lua sits beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")
