/// A `host:port` listen address (`127.0.0.1:8080`, `[::1]:8080`, `0.0.0.0:80`, or a bare port).
struct ListenAddress: Equatable, CustomStringConvertible {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses the text; nil with a reason when it is not a valid address.
    static func parse(_ text: String) -> Result<ListenAddress, UsageError> {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return .failure(UsageError("invalid listen address '\(text)': expected [IPv6]:PORT"))
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = text[text.index(close, offsetBy: 2)...]
        } else if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.isEmpty { host = "0.0.0.0" }
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), let port = Int(portText), (0...65535).contains(port) else {
            return .failure(UsageError("invalid listen address '\(text)': the port must be 0-65535"))
        }
        return .success(ListenAddress(host: host, port: port))
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
