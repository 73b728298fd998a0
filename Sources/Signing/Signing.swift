// Signing: hashes, HMAC, encodings and webhook signature schemes (in progress).
