/// Writes a response head as bytes; the server owns framing headers (Content-Length,
/// Transfer-Encoding, Connection, Date, X-Request-Id), a handler owns the rest.
enum ResponseSerializer {
    /// The status line and header section, ending with the empty line. `bodyLength` nil means chunked.
    /// `chunked` false with a nil length writes no framing header: the body ends at the close (HTTP/1.0).
    /// `announceKeepAlive` adds `Connection: keep-alive`, which an HTTP/1.0 client needs to hear.
    static func head(_ response: HTTPResponse, bodyLength: Int?, requestID: String, keepAlive: Bool, date: String,
                     chunked: Bool = true, announceKeepAlive: Bool = false) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(160 + response.headers.count * 48 + (bodyLength ?? 0))
        out.append(contentsOf: statusLine(response.status))
        for field in response.headers {
            if isServerOwned(field.name) || !isSafe(field) { continue }
            out.append(contentsOf: field.name.utf8)
            out.append(0x3A); out.append(0x20)
            out.append(contentsOf: field.value.utf8)
            out.append(0x0D); out.append(0x0A)
        }
        if !response.status.forbidsBody {
            if let bodyLength {
                out.append(contentsOf: "Content-Length: ".utf8)
                appendDecimal(bodyLength, to: &out)
                out.append(0x0D); out.append(0x0A)
            } else if chunked {
                out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
            }
        }
        out.append(contentsOf: "Date: ".utf8)
        out.append(contentsOf: date.utf8)
        out.append(contentsOf: "\r\nX-Request-Id: ".utf8)
        out.append(contentsOf: requestID.utf8)
        out.append(0x0D); out.append(0x0A)
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if announceKeepAlive {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(0x0D); out.append(0x0A)
        return out
    }

    private static let commonStatusLines: [Int: [UInt8]] = {
        var lines: [Int: [UInt8]] = [:]
        for code in [200, 201, 202, 204, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 500, 503] {
            let status = HTTPStatus(code: code)
            lines[code] = Array("HTTP/1.1 \(code) \(status.reasonPhrase)\r\n".utf8)
        }
        return lines
    }()

    private static func statusLine(_ status: HTTPStatus) -> [UInt8] {
        commonStatusLines[status.code] ?? Array("HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n".utf8)
    }

    private static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 { out.append(UInt8(0x30 + value)); return }
        var digits: [UInt8] = []
        var v = value
        while v > 0 { digits.append(UInt8(0x30 + v % 10)); v /= 10 }
        out.append(contentsOf: digits.reversed())
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
