import CCurl
import Glibc

extension HTTPClientError {
    /// Classifies a failed transfer from libcurl's code and the socket's errno; `message` is libcurl's text,
    /// which names hosts and ports but never request headers or bodies.
    init(curlCode code: CURLcode, osErrno: Int32, host: String, message: String) {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            self = .timeout
        case CURLE_COULDNT_RESOLVE_HOST:
            self = .dnsFailure(host: host)
        case CURLE_COULDNT_CONNECT where osErrno == ECONNREFUSED:
            self = .connectionRefused
        case CURLE_URL_MALFORMAT:
            self = .invalidURL
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
             CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            self = .tls(message: message)
        default:
            self = .transport(code: Int(code.rawValue), message: message)
        }
    }
}
