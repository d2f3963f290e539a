-- The refresh grant. Refresh tokens rotate: each works once, and presenting
-- a used one revokes its whole family, so no token may ever be sent twice.
-- Each thread keeps a queue of unused tokens: it starts with its share of the
-- seed file, every request takes one out, and every successful answer puts
-- the new one back. A token whose request failed is dropped, not retried.
--   BENCH_BODY     urlencoded body without the token (grant type, client)
--   BENCH_TOKENS   seed file, one refresh token per line; needs at least as
--                  many per thread as connections per thread
--   BENCH_THREADS  wrk's thread count, to split the seeds
-- common.lua sits beside this script.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "common.lua")

-- setup() runs in the main state once per thread, just before that thread's
-- init(): number the threads so each takes a distinct share of the seeds.
local threads_seen = 0
function setup(thread)
   thread:set("thread_index", threads_seen)
   threads_seen = threads_seen + 1
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

local queue, head, tail = {}, 1, 0
local body_prefix

local function push(token)
   tail = tail + 1
   queue[tail] = token
end

local function pop()
   if head > tail then
      return nil
   end
   local token = queue[head]
   queue[head] = nil
   head = head + 1
   return token
end

function init(args)
   local threads = tonumber(os.getenv("BENCH_THREADS") or error("BENCH_THREADS is not set"))
   local file = os.getenv("BENCH_TOKENS") or error("BENCH_TOKENS is not set")
   local n = 0
   for line in io.lines(file) do
      if line ~= "" then
         if n % threads == thread_index then
            push(line)
         end
         n = n + 1
      end
   end
   body_prefix = (os.getenv("BENCH_BODY") or error("BENCH_BODY is not set")) .. "&refresh_token="
end

function request()
   -- Out of tokens (after failed answers): send one that cannot work, so it
   -- shows as an error instead of reusing a token.
   local token = pop() or "exhausted"
   return wrk.format(nil, nil, nil, body_prefix .. urlencode(token))
end

function response(status, headers, body)
   if status == 200 then
      local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
      if token then
         push(token)
      end
   end
end
