-- wrk script: POSTs pre-signed Twilio webhooks (bench/make-twilio-webhooks.py), each once.
-- Threads take interleaved lines, so every request carries a distinct MessageSid.
-- Arguments: FILE THREADS [DELAY_MS]. With DELAY_MS each connection waits that long before each
-- request, which caps the rate at about connections * 1000 / DELAY_MS (for latency at a set rate).
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  nthreads = #threads > 0 and #threads or tonumber(args[2] or "1")
  requests = {}
  local index = 0
  for line in io.lines(args[1]) do
    if index % tonumber(args[2]) == id then
      local signature, body = line:match("^(.-)\t(.*)$")
      requests[#requests + 1] = wrk.format("POST", "/channels/wa/webhook", {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Twilio-Signature"] = signature,
      }, body)
    end
    index = index + 1
  end
  position = 0
  pause = tonumber(args[3] or "0")
end

function delay()
  return pause
end

function request()
  position = position + 1
  if position > #requests then position = 1 end  -- past the end: provider retries (deduped)
  return requests[position]
end
