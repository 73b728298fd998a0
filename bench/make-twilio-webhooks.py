#!/usr/bin/env python3
"""Writes N signed Twilio WhatsApp webhooks, one per line: "<X-Twilio-Signature>\t<form body>".
Each has its own MessageSid; every 20 users share a conversation. Signature per Twilio's rules
(HMAC-SHA1 over the URL and the sorted parameters, base64), for the bench's fake auth token.
Usage: make-twilio-webhooks.py N URL TOKEN [PREFIX] > file (PREFIX keeps MessageSids apart between runs)"""
import base64, hashlib, hmac, sys, urllib.parse

count, url, token = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
prefix = sys.argv[4] if len(sys.argv) > 4 else "bench"
for i in range(count):
    user = i % max(1, count // 20)
    params = {
        "MessageSid": f"SM{prefix}{i:010d}", "SmsMessageSid": f"SM{prefix}{i:010d}", "AccountSid": "AC_BENCH_FAKE",
        "From": f"whatsapp:+3460{user:07d}", "To": "whatsapp:+14155238886", "Body": f"Hola, mensaje número {i} 👋",
        "ProfileName": f"User {user}", "WaId": f"3460{user:07d}", "NumMedia": "0", "SmsStatus": "received", "ApiVersion": "2010-04-01",
    }
    data = url + "".join(k + params[k] for k in sorted(params))
    signature = base64.b64encode(hmac.new(token, data.encode(), hashlib.sha1).digest()).decode()
    print(signature + "\t" + urllib.parse.urlencode(params))
