/// Writes a response head as bytes; the server owns framing headers (Content-Length,
/// Transfer-Encoding, Connection, Date, X-Request-Id), a handler owns the rest.
enum ResponseSerializer {
    /// The status line and header section, ending with the empty line. `bodyLength` nil means chunked.
    static func head(_ response: HTTPResponse, bodyLength: Int?, requestID: String, keepAlive: Bool, date: String) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(192 + response.headers.count * 48)
        out.append(contentsOf: "HTTP/1.1 \(response.status.code) \(response.status.reasonPhrase)\r\n".utf8)
        for field in response.headers {
            if isServerOwned(field.name) || !isSafe(field) { continue }
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        if !response.status.forbidsBody {
            if let bodyLength {
                out.append(contentsOf: "Content-Length: \(bodyLength)\r\n".utf8)
            } else {
                out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            }
        }
        out.append(contentsOf: "Date: \(date)\r\nX-Request-Id: \(requestID)\r\n".utf8)
        if !keepAlive { out.append(contentsOf: "Connection: close\r\n".utf8) }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    private static func isServerOwned(_ name: String) -> Bool {
        HTTPHeaders.equalsIgnoringCase(name, "Content-Length") || HTTPHeaders.equalsIgnoringCase(name, "Transfer-Encoding")
            || HTTPHeaders.equalsIgnoringCase(name, "Connection") || HTTPHeaders.equalsIgnoringCase(name, "Date")
            || HTTPHeaders.equalsIgnoringCase(name, "X-Request-Id")
    }

    /// Drops fields that would split the response (CR/LF/NUL in a value, a non-token name).
    private static func isSafe(_ field: HTTPHeaders.Field) -> Bool {
        !field.name.isEmpty && field.name.utf8.allSatisfy(HTTPTokens.isTokenByte) && field.value.utf8.allSatisfy(HTTPTokens.isFieldValueByte)
    }
}
