import HTTP

/// Why an inbound webhook was refused. Descriptions and HTTP messages name headers and schemes,
/// never a secret, a received signature or the expected one.
///
/// Status codes: a request that carries no usable credential (missing or unreadable signature,
/// stale or future timestamp) is `401`; a well-formed signature that does not match, or a Meta
/// handshake with the wrong verify token, is `403`. The timestamp check runs before any signature
/// is computed, so a request outside the tolerance has not been authenticated at all: hence `401`,
/// not `403`. A missing or unusable secret is the operator's configuration error: `500`, which
/// also makes the provider retry until the configuration is fixed.
public enum WebhookVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The named signature header (or another header the scheme needs) is absent or empty.
    case signatureMissing(header: String)
    /// The named header is present but not in the scheme's format.
    case signatureMalformed(header: String)
    /// The signature in the named header is well formed but matches no configured secret, or the
    /// body is not the one that was signed.
    case signatureMismatch(header: String)
    /// The timestamp in the named header is further from the server clock than the tolerance.
    case timestampOutOfTolerance(header: String)
    /// No secret is configured for the named scheme.
    case secretMissing(scheme: String)
    /// A configured secret cannot be used by the named scheme (e.g. not `whsec_<base64>`).
    case secretInvalid(scheme: String)
    /// A subscription handshake did not ask to subscribe, or presented the wrong verify token.
    case handshakeRejected

    /// A one-line explanation for logs.
    public var description: String {
        switch self {
        case .signatureMissing(let header): "missing \(header) header"
        case .signatureMalformed(let header): "malformed \(header) header"
        case .signatureMismatch(let header): "\(header) does not match the request"
        case .timestampOutOfTolerance(let header): "\(header) is outside the allowed clock skew"
        case .secretMissing(let scheme): "no secret configured for verification scheme \(scheme)"
        case .secretInvalid(let scheme): "a secret configured for verification scheme \(scheme) is not usable"
        case .handshakeRejected: "subscription handshake rejected"
        }
    }

    /// The response status: 401, 403 or 500 (see the type's documentation).
    public var status: HTTPStatus {
        switch self {
        case .signatureMissing, .signatureMalformed, .timestampOutOfTolerance: .unauthorized
        case .signatureMismatch, .handshakeRejected: .forbidden
        case .secretMissing, .secretInvalid: .internalServerError
        }
    }

    /// The machine-readable error code of the JSON body.
    public var code: String {
        switch self {
        case .signatureMissing: "signature_missing"
        case .signatureMalformed: "signature_malformed"
        case .signatureMismatch: "signature_invalid"
        case .timestampOutOfTolerance: "timestamp_out_of_tolerance"
        case .secretMissing, .secretInvalid: "verification_not_configured"
        case .handshakeRejected: "handshake_rejected"
        }
    }

    /// The error as the gateway answers it: `{"error":{"code":...,"message":...}}` with `status`.
    /// A configuration error tells the provider only that verification is not configured; the
    /// detail is for the operator's log (`description`).
    public var httpError: HTTPError {
        switch self {
        case .secretMissing, .secretInvalid:
            HTTPError(status, code: code, message: "webhook verification is not configured")
        default:
            HTTPError(status, code: code, message: description)
        }
    }
}

extension WebhookVerificationError: HTTPResponseError {
    /// The response `httpError` renders as.
    public var response: HTTPResponse { httpError.response }
}
