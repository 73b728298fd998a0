/// An HTTP/1.1 and HTTP/2 client on libcurl for outbound webhooks and API calls.
///
/// Requests run on one dedicated thread that drives a libcurl multi handle, so awaiting `send` never
/// blocks the Swift cooperative pool; connections are kept alive and reused across requests. Only
/// `http` and `https` URLs are accepted, redirects are not followed (a 3xx is returned as a response),
/// and TLS certificates are always verified. Call `shutdown()` when done.
public final class HTTPClient: Sendable {
    /// The limits and identity this client was created with.
    public let configuration: HTTPClientConfiguration
    private let multiThread: CurlMultiThread

    /// Creates a client and starts its transfer thread.
    public init(configuration: HTTPClientConfiguration = HTTPClientConfiguration()) {
        self.configuration = configuration
        multiThread = CurlMultiThread(configuration: configuration)
        multiThread.start()
    }

    deinit { multiThread.requestStop() }

    /// Sends a request and returns the complete response, whatever its status.
    ///
    /// Throws `HTTPClientError`: up front for a bad URL, scheme, method or header; `.cancelled` as soon
    /// as the calling task is cancelled (the transfer is abandoned); `.shutdown` after `shutdown()`.
    public func send(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let transfer = try CurlTransfer(request: request, configuration: configuration)
        let multiThread = multiThread
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if transfer.completion.install(continuation) { multiThread.submit(transfer) }
            }
        } onCancel: {
            if transfer.completion.cancel() { multiThread.abandon(transfer) }
        }
        return try outcome.get()
    }

    /// Stops the transfer thread, failing requests still in flight with `.shutdown`; later sends fail the same way.
    public func shutdown() async {
        await multiThread.stop()
    }
}
