-- wrk script for bench/intake.py: every request posts the public complaint form (/complaints/new/) as a new visitor.
--
-- Arguments after `--`: <codes file> <started token> <csrf secret> <output directory> <number of wrk threads>.
-- The wrk threads post the elevator codes in turn (thread i takes codes i, i + threads, ...), writes the tracking number of every
-- accepted complaint (a 302 to /complaints/TS.../) to <output directory>/accepted-<thread>.txt, and counts every
-- other answer by status. done() prints one JSON line, prefixed "INTAKE_JSON ", for the caller to parse.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function init(args)
  local codes_file, started, csrf, outdir = args[1], args[2], args[3], args[4]
  stride = tonumber(args[5])
  codes = {}
  for line in io.lines(codes_file) do
    if line ~= "" then table.insert(codes, line) end
  end
  n = id - 1
  sent = 0
  accepted = 0
  errors = {}
  out = assert(io.open(outdir .. "/accepted-" .. id .. ".txt", "w"))
  -- The parts of the body that never change, encoded once.
  fixed = "csrfmiddlewaretoken=" .. urlencode(csrf) .. "&trapped_now=no&category=breakdown&started="
    .. urlencode(started) .. "&website=&elevator_code="
  description = urlencode("基准测试投诉：电梯运行时异响，门关不严。")
  headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    -- Only the CSRF cookie: no session cookie, so every post is a new visitor.
    ["Cookie"] = "csrftoken=" .. csrf,
  }
end

function request()
  local code = codes[(n % #codes) + 1]
  n = n + stride
  sent = sent + 1
  local body = fixed .. code .. "&description=" .. description .. "+" .. id .. "-" .. sent
  return wrk.format("POST", "/complaints/new/", headers, body)
end

function response(status, hdrs, body)
  local location = hdrs["Location"] or hdrs["location"] or ""
  local number = status == 302 and location:match("^/complaints/(TS%d+)/$")
  if number then
    accepted = accepted + 1
    out:write(number, "\n")
    out:flush()
  else
    local key = tostring(status)
    if status == 302 then key = "302 to " .. location:sub(1, 60) end
    errors[key] = (errors[key] or 0) + 1
  end
end

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end) .. '"'
end

function done(summary, latency, requests)
  local statuses, total_accepted = {}, 0
  for _, thread in ipairs(threads) do
    total_accepted = total_accepted + (thread:get("accepted") or 0)
    for key, count in pairs(thread:get("errors") or {}) do
      statuses[key] = (statuses[key] or 0) + count
    end
  end
  local parts = {}
  for key, count in pairs(statuses) do table.insert(parts, json_string(key) .. ":" .. count) end
  local e = summary.errors
  io.write(string.format(
    'INTAKE_JSON {"duration_us":%d,"requests":%d,"accepted":%d,"statuses":{%s},'
    .. '"socket":{"connect":%d,"read":%d,"write":%d,"timeout":%d},'
    .. '"latency_us":{"p50":%d,"p90":%d,"p95":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.duration, summary.requests, total_accepted, table.concat(parts, ","),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
