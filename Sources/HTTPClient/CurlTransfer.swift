import CCurl

/// One request's libcurl state. It owns every piece of C memory its easy handle points into (header
/// list, body copy, error buffer), collects the response through the write and header callbacks, and
/// carries the completion that resumes the waiting task.
///
/// `@unchecked Sendable` because of confinement, not locking: the request fields are immutable after
/// `init`; `easy` and the response fields are touched only on the `CurlMultiThread` run loop (in
/// `attach`, in libcurl's callbacks during `curl_multi_perform`, in `outcome` and `detach`); the only
/// state shared across threads is `completion`, which is behind a Mutex.
final class CurlTransfer: @unchecked Sendable {
    // MARK: - Request (immutable)

    private let url: ValidatedURL
    private let method: String
    private let headerList: CurlHeaderList
    private let sendsBody: Bool
    /// The body copy handed to CURLOPT_POSTFIELDS, which libcurl reads in place: it must outlive the transfer.
    private let body: UnsafeMutableBufferPointer<UInt8>
    /// The request body's length (the buffer has at least one byte even when the body is empty).
    private let bodyCount: Int
    /// CURLOPT_ERRORBUFFER: libcurl writes a detailed message here when a transfer fails.
    private let errorBuffer: UnsafeMutableBufferPointer<CChar>
    /// When the whole request must be over: submission time plus the request's or the client's total timeout.
    let deadline: ContinuousClock.Instant
    private let configuration: HTTPClientConfiguration

    /// Resumes the task waiting in `HTTPClient.send`.
    let completion = TransferCompletion()

    // MARK: - Run-loop state (confined to the CurlMultiThread)

    /// The easy handle lent by the run loop while the transfer is attached.
    private var easy: UnsafeMutableRawPointer?
    private var responseHeaders: [(name: String, value: String)] = []
    private var responseBody: [UInt8] = []
    private var responseHeaderBytes = 0
    /// The limit that made a callback abort the transfer, if one did.
    private var exceededLimit: Int?

    // MARK: - Life cycle

    /// Validates and copies the request; throws before any network activity for a bad URL, scheme or header.
    init(request: HTTPClientRequest, configuration: HTTPClientConfiguration) throws(HTTPClientError) {
        url = try ValidatedURL(request.url)
        guard CurlHeaderList.isToken(request.method) else {
            throw .invalidRequest(reason: "method is not a valid token")
        }
        method = request.method
        sendsBody = method != "HEAD" && (!request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(method))
        headerList = try CurlHeaderList(request.headers, sendsBody: sendsBody)
        // At least one byte, so that an empty body still has a valid address for CURLOPT_POSTFIELDS.
        body = .allocate(capacity: max(1, request.body.count))
        _ = body.initialize(from: request.body)
        if request.body.isEmpty { body.initializeElement(at: 0, to: 0) }
        bodyCount = request.body.count
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0)
        deadline = .now + (request.timeout ?? configuration.totalTimeout)
        self.configuration = configuration
    }

    deinit {
        body.deallocate()
        errorBuffer.deallocate()
    }

    // MARK: - Attaching to an easy handle (run loop only)

    /// Configures `easy` for this transfer and keeps it until `detach`; returns the first option libcurl refused.
    func attach(to easy: UnsafeMutableRawPointer) -> CURLcode {
        self.easy = easy
        let context = Unmanaged.passUnretained(self).toOpaque()
        var firstFailure = CURLE_OK
        func set(_ code: CURLcode) { if firstFailure == CURLE_OK { firstFailure = code } }

        // Where, and only over plain HTTP or HTTPS, never following redirects (a 3xx is the answer).
        set(ccurl_easy_setopt_string(easy, CURLOPT_URL, url.string))
        set(ccurl_easy_setopt_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(ccurl_easy_setopt_string(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"))
        set(ccurl_easy_setopt_long(easy, CURLOPT_FOLLOWLOCATION, 0))

        // Safety: no signals from a background thread; TLS always verified.
        set(ccurl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1))
        set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        set(ccurl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        if let caBundlePath = configuration.caBundlePath {
            set(ccurl_easy_setopt_string(easy, CURLOPT_CAINFO, caBundlePath))
        }

        // Limits.
        set(ccurl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.curlMilliseconds))
        set(ccurl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, (deadline - .now).curlMilliseconds))
        set(ccurl_easy_setopt_off_t(easy, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(configuration.maxResponseBytes)))
        set(ccurl_easy_setopt_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        // When a transfer times out or is removed while its getaddrinfo is still stuck, libcurl otherwise
        // joins the resolver thread, stalling every other transfer on this multi handle; QUICK_EXIT (7.87+)
        // detaches that thread instead, which frees its own memory when the lookup finally returns.
        set(ccurl_easy_setopt_long(easy, CURLOPT_QUICK_EXIT, 1))

        // Method, headers, body.
        if method == "HEAD" {
            set(ccurl_easy_setopt_long(easy, CURLOPT_NOBODY, 1))
        } else if sendsBody {
            set(ccurl_easy_setopt_off_t(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bodyCount)))
            set(ccurl_easy_setopt_pointer(easy, CURLOPT_POSTFIELDS, body.baseAddress))
            if method != "POST" { set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method)) }
        } else if method != "GET" {
            set(ccurl_easy_setopt_string(easy, CURLOPT_CUSTOMREQUEST, method))
        }
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_HTTPHEADER, headerList.pointer))
        set(ccurl_easy_setopt_string(easy, CURLOPT_USERAGENT, configuration.userAgent))

        // Context: the callbacks and the run loop find this object again through these pointers.
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_ERRORBUFFER, errorBuffer.baseAddress))
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_PRIVATE, context))
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_WRITEDATA, context))
        set(ccurl_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let length = size * count
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        })
        set(ccurl_easy_setopt_pointer(easy, CURLOPT_HEADERDATA, context))
        set(ccurl_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION) { data, size, count, context in
            guard let context else { return 0 }
            let length = size * count
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            return transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
        })
        return firstFailure
    }

    /// Gives the easy handle back; the caller resets it before any reuse, dropping its pointers into this object.
    func detach() -> UnsafeMutableRawPointer? {
        defer { easy = nil }
        return easy
    }

    // MARK: - Callbacks (run loop only, inside curl_multi_perform)

    /// Appends body bytes; false aborts the transfer (CURLE_WRITE_ERROR) once the body would pass the limit.
    private func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count <= configuration.maxResponseBytes - responseBody.count else {
            exceededLimit = configuration.maxResponseBytes
            return false
        }
        responseBody.append(contentsOf: bytes)
        return true
    }

    /// Records one header line as libcurl delivers it: a status line, a field, a folded continuation or
    /// the blank line ending a block. False aborts the transfer once the header lines pass their limit.
    private func receiveHeaderLine(_ line: UnsafeRawBufferPointer) -> Bool {
        responseHeaderBytes += line.count
        guard responseHeaderBytes <= configuration.maxResponseHeaderBytes else {
            exceededLimit = configuration.maxResponseHeaderBytes
            return false
        }
        var bytes = line[...]
        while let last = bytes.last, last == UInt8(ascii: "\r") || last == UInt8(ascii: "\n") { bytes = bytes.dropLast() }
        guard let first = bytes.first else { return true }

        if bytes.starts(with: "HTTP/".utf8) {
            // A new response begins (after a 1xx interim one, or a proxy's CONNECT answer): keep only its headers.
            responseHeaders.removeAll(keepingCapacity: true)
        } else if first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") {
            // obs-fold (RFC 9112 §5.2): a continuation of the previous field's value.
            if !responseHeaders.isEmpty {
                responseHeaders[responseHeaders.count - 1].value += " " + Self.trimmedString(bytes)
            }
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let name = Self.trimmedString(bytes[..<colon])
            let value = Self.trimmedString(bytes[(colon + 1)...])
            responseHeaders.append((name, value))
            if name.caseInsensitiveEquals("Content-Length"), let length = Int(value),
               length > 0, length <= configuration.maxResponseBytes {
                responseBody.reserveCapacity(length)
            }
        }
        return true
    }

    private static func trimmedString(_ bytes: Slice<UnsafeRawBufferPointer>) -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }),
              let end = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }

    // MARK: - Completion (run loop only)

    /// The response, or the error, for the CURLcode libcurl finished this transfer with.
    func outcome(for code: CURLcode) -> TransferCompletion.Outcome {
        guard let easy else { return .failure(.transport(code: Int(code.rawValue), message: "transfer has no handle")) }
        if code == CURLE_OK {
            var status = 0
            _ = ccurl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
            let response = HTTPClientResponse(status: status, headers: responseHeaders, body: responseBody)
            responseHeaders = []
            responseBody = []
            return .success(response)
        }
        if let limit = exceededLimit, code == CURLE_WRITE_ERROR { return .failure(.responseTooLarge(limit: limit)) }
        if code == CURLE_FILESIZE_EXCEEDED { return .failure(.responseTooLarge(limit: configuration.maxResponseBytes)) }
        var osErrno = 0
        _ = ccurl_easy_getinfo_long(easy, CURLINFO_OS_ERRNO, &osErrno)
        return .failure(HTTPClientError(curlCode: code, osErrno: Int32(truncatingIfNeeded: osErrno),
                                        host: url.host, message: errorMessage(for: code)))
    }

    /// libcurl's detailed message from the error buffer, or its generic text for `code`.
    private func errorMessage(for code: CURLcode) -> String {
        let detailed = String(cString: errorBuffer.baseAddress!)
        return detailed.isEmpty ? String(cString: curl_easy_strerror(code)) : detailed
    }
}
