-- wrk script: POST /campaigns/trigger/send, one recipient per call (bench/campaign.sh).
-- Arguments: FILE KEY THREADS. FILE has one JSON body per line; threads take interleaved lines
-- and cycle through them (every call is a new send: no Idempotency-Key).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  local index = 0
  for line in io.lines(args[1]) do
    if index % tonumber(args[3]) == id then
      requests[#requests + 1] = wrk.format("POST", "/campaigns/trigger/send", {
        ["Content-Type"] = "application/json",
        ["Authorization"] = "Bearer " .. args[2],
      }, line)
    end
    index = index + 1
  end
  position = 0
end

function request()
  position = position + 1
  if position > #requests then position = 1 end
  return requests[position]
end

function done(summary, latency, requests)
  io.write(string.format("non-2xx or failed: %d\n", summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
