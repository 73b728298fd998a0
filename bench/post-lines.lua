-- wrk script: POSTs one JSON body per line of a file, with an API key (bench/campaign.sh,
-- bench/users-track.sh). Arguments: FILE KEY THREADS PATH. Threads take interleaved lines and
-- cycle through them (no Idempotency-Key: every call is new).
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
      requests[#requests + 1] = wrk.format("POST", args[4], {
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
