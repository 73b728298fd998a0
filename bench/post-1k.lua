-- wrk script: POST a 1 KiB JSON body (the shape of an inbound webhook) to the echo route.
local text = string.rep("x", 1024 - 52)
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"from":"+15555550100","to":"+15555550199","body":"' .. text .. '"}'
