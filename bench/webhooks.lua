-- wrk's script for bench/webhooks.py: replay precomputed, signed Twilio webhooks of whole calls.
--
--   wrk -t16 -c16 -d15s -s bench/webhooks.lua http://127.0.0.1:PORT/ -- DIRECTORY once|wrap
--
-- Each wrk thread has one connection and plays the calls of DIRECTORY/thread-<its number>.tsv in
-- order, sending a request once the previous one is answered, so a call's steps arrive in order.
-- A line is one request: path, X-Twilio-Signature, form body, the status expected, a text the
-- answer must contain (percent-encoded, may be empty), 1 when it ends its call. "once" plays each
-- call once (the voice server: a call cannot be replayed); "wrap" starts over (the floor).
-- done() prints "wrkbench <name> <value>" lines for bench/webhooks.py.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } wrkbench_timespec;
int clock_gettime(int clock_id, wrkbench_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local clock = ffi.new("wrkbench_timespec")

local function now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

local function unquote(text)
  return (text:gsub("%%(%x%x)", function(hex) return string.char(tonumber(hex, 16)) end))
end

-- The main thread's view: every wrk thread, numbered from 0 as setup() sees them.
local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

-- One wrk thread's state (each thread runs its own copy of this script).
local requests, statuses, texts, ends = {}, {}, {}, {}
local position, wrap, sent_at = 1, false, 0
-- Read by done() through thread:get: globals, not locals.
answered, wrong, calls, exhausted, first_sent, last_answered = 0, 0, 0, 0, 0, 0
answered_at, took, problems = {}, {}, {}

function init(args)
  local directory, mode = args[1], args[2]
  wrap = mode == "wrap"
  local path = directory .. "/thread-" .. thread_number .. ".tsv"
  local file = assert(io.open(path, "r"))
  local host = wrk.host .. ":" .. wrk.port
  for line in file:lines() do
    local target, signature, body, status, text, last =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
    if not target then
      error(path .. ": not a request line: " .. line:sub(1, 80))
    end
    requests[#requests + 1] = "POST " .. target .. " HTTP/1.1\r\n"
      .. "Host: " .. host .. "\r\n"
      .. "User-Agent: TwilioProxy/1.1\r\n"
      .. "Content-Type: application/x-www-form-urlencoded\r\n"
      .. "X-Twilio-Signature: " .. signature .. "\r\n"
      .. "Content-Length: " .. #body .. "\r\n"
      .. "\r\n" .. body
    statuses[#statuses + 1] = tonumber(status)
    texts[#texts + 1] = unquote(text)
    ends[#ends + 1] = last == "1"
  end
  file:close()
  if #requests == 0 then
    error(path .. ": no requests")
  end
end

-- wrk asks once more than it sends (thread 0 checks the script's first request): a request is
-- only passed over once it is answered.
function request()
  sent_at = now_us()
  if first_sent == 0 then
    first_sent = sent_at
  end
  return requests[math.min(position, #requests)]
end

function response(status, headers, body)
  local at = now_us()
  if position > #requests then
    return -- the answer to the request repeated after the last call (see below): not counted
  end
  answered = answered + 1
  answered_at[answered], took[answered], last_answered = at, at - sent_at, at
  local text = texts[position]
  if status ~= statuses[position] or (text ~= "" and not body:find(text, 1, true)) then
    wrong = wrong + 1
    if #problems < 3 then
      local wanted = status ~= statuses[position] and "instead of " .. statuses[position]
        or "without " .. text:sub(1, 80)
      problems[#problems + 1] = "thread " .. thread_number .. ", request " .. position .. ": answered "
        .. status .. " " .. wanted .. ": " .. body:sub(1, 300):gsub("%s+", " ")
    end
  elseif ends[position] then
    calls = calls + 1
  end
  position = position + 1
  if position > #requests then
    if wrap then
      position = 1
    else
      -- Out of calls: this thread stops sending; bench/webhooks.py reports the run as spoiled.
      exhausted = 1
      wrk.thread:stop()
    end
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then
    return 0
  end
  return sorted[math.max(1, math.ceil(p / 100 * #sorted))]
end

function done(summary, latency, requests_per_thread)
  -- The rate and latencies are those of the answers while every thread was sending: from the
  -- last thread's first request (threads start one after the other) to the first thread's last answer.
  local from, to, earliest = 0, math.huge, math.huge
  local per_thread = {}
  for _, thread in ipairs(threads) do
    local one = {
      first_sent = thread:get("first_sent"),
      last_answered = thread:get("last_answered"),
      answered_at = thread:get("answered_at"),
      took = thread:get("took"),
    }
    per_thread[#per_thread + 1] = one
    from, earliest = math.max(from, one.first_sent), math.min(earliest, one.first_sent)
    if one.last_answered > 0 then
      to = math.min(to, one.last_answered)
    end
  end
  local latencies = {}
  for _, one in ipairs(per_thread) do
    for i = 1, #one.answered_at do
      if one.answered_at[i] > from and one.answered_at[i] <= to then
        latencies[#latencies + 1] = one.took[i]
      end
    end
  end
  table.sort(latencies)
  local totals = { answered = 0, wrong = 0, calls = 0, exhausted = 0 }
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  local function say(name, value)
    io.write(string.format("wrkbench %s %s\n", name, tostring(value)))
  end
  say("requests", summary.requests)
  say("duration_us", summary.duration)
  for _, name in ipairs({ "connect", "read", "write", "status", "timeout" }) do
    say("errors_" .. name, summary.errors[name])
  end
  for _, name in ipairs({ "answered", "wrong", "calls", "exhausted" }) do
    say(name, totals[name])
  end
  say("window_requests", #latencies)
  say("window_us", to > from and to - from or 0)
  say("window_lag_us", from - earliest) -- how long the first thread ran before the last one started
  for _, p in ipairs({ 50, 90, 99 }) do
    say("p" .. p .. "_us", percentile(latencies, p))
  end
  say("max_us", latencies[#latencies] or 0)
  -- wrk's own percentile adds the requests a stalled connection would have sent (coordinated omission).
  say("wrk_p99_us", latency:percentile(99))
  for _, thread in ipairs(threads) do
    for _, problem in ipairs(thread:get("problems")) do
      say("problem", problem)
    end
  end
end
