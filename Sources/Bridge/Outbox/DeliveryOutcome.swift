import HTTPClient

/// What one attempt's answer means for the delivery. A pure function of the answer.
public enum DeliveryOutcome: Sendable, Equatable {
    /// 2xx within the timeout.
    case delivered(status: Int)
    /// A failure worth retrying; `retryAfter` when the receiver asked for a wait (429/503).
    case retry(status: Int?, error: String, retryAfter: Duration?)
    /// 410 Gone: the target does not want this or any further delivery.
    case gone
    /// The request can never succeed as stored (bad URL, forbidden scheme...): dead at once.
    case permanentFailure(error: String)

    /// Classifies an attempt. A timeout is a failure even if the receiver answers later: the
    /// client abandons the transfer at the deadline, so a late 2xx is never seen.
    public static func classify(_ result: Result<HTTPClientResponse, HTTPClientError>, now: Int64) -> DeliveryOutcome {
        switch result {
        case .success(let response):
            switch response.status {
            case 200..<300:
                return .delivered(status: response.status)
            case 410:
                return .gone
            case 300..<400:
                // The query is left out: a redirect target may be a signed URL.
                let location = response.header("Location")
                    .map { " to \($0.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])" } ?? ""
                return .retry(status: response.status, error: "HTTP \(response.status): redirect\(location) not followed", retryAfter: nil)
            case 429, 503:
                return .retry(status: response.status, error: "HTTP \(response.status)",
                              retryAfter: RetryAfter.parse(response.header("Retry-After"), now: now))
            default:
                return .retry(status: response.status, error: "HTTP \(response.status)", retryAfter: nil)
            }
        case .failure(let error):
            switch error {
            case .invalidURL, .unsupportedScheme, .invalidRequest:
                return .permanentFailure(error: error.description)
            default:
                return .retry(status: nil, error: error.description, retryAfter: nil)
            }
        }
    }

    /// A short label for metrics: delivered, failed, gone, dead_request.
    var metricLabel: String {
        switch self {
        case .delivered: "delivered"
        case .retry: "failed"
        case .gone: "gone"
        case .permanentFailure: "invalid"
        }
    }
}
