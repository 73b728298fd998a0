/// Decoded `application/x-www-form-urlencoded` pairs from a query string (or a form body), in order.
public struct QueryParameters: Sendable, Sequence {
    public private(set) var pairs: [(name: String, value: String)] = []

    /// Parses `a=1&b=two+words&c=%C3%A9`; `+` means space; invalid escapes are kept literally.
    public init(_ raw: some StringProtocol) {
        var text = String(raw)
        self = text.withUTF8 { QueryParameters(utf8: $0) }
    }

    /// Parses form bytes directly (a request body), without making a String of the whole first.
    public init(bytes: [UInt8]) {
        self = bytes.withUnsafeBufferPointer { QueryParameters(utf8: $0) }
    }

    /// One pass over the bytes: split on `&`, then on the first `=`, decoding each side.
    init(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        var start = 0
        let count = bytes.count
        while start < count {
            var end = start
            var equals = -1
            while end < count && bytes[end] != UInt8(ascii: "&") {
                if equals < 0 && bytes[end] == UInt8(ascii: "=") { equals = end }
                end += 1
            }
            if end > start {
                if equals >= 0 {
                    pairs.append((PercentEncoding.decodeForm(UnsafeBufferPointer(rebasing: bytes[start..<equals])),
                                  PercentEncoding.decodeForm(UnsafeBufferPointer(rebasing: bytes[(equals + 1)..<end]))))
                } else {
                    pairs.append((PercentEncoding.decodeForm(UnsafeBufferPointer(rebasing: bytes[start..<end])), ""))
                }
            }
            start = end + 1
        }
    }

    /// The first value of `name`.
    public subscript(name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every value of `name`, in order.
    public func values(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { pairs.makeIterator() }
}

/// Percent-decoding for paths and forms (RFC 3986 §2.1).
public enum PercentEncoding {
    /// Decodes `%XX` escapes; nil when an escape is malformed or the result is not UTF-8.
    public static func decodeStrict(_ text: some StringProtocol) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let b = iterator.next() {
            if b == UInt8(ascii: "%") {
                guard let h = iterator.next().flatMap(hexValue), let l = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(h << 4 | l)
            } else {
                bytes.append(b)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Decodes a form component: `+` is a space, malformed escapes stay literal, invalid UTF-8 is repaired.
    public static func decodeForm(_ text: some StringProtocol) -> String {
        var copy = String(text)
        return copy.withUTF8 { decodeForm($0) }
    }

    /// `decodeForm` over bytes; a component with no `%` or `+` is copied as it is.
    static func decodeForm(_ utf8: UnsafeBufferPointer<UInt8>) -> String {
        if !utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            return String(decoding: utf8, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count)
        var i = 0
        while i < utf8.count {
            let b = utf8[i]
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), i + 2 < utf8.count,
                      let h = hexValue(utf8[i + 1]), let l = hexValue(utf8[i + 2]) {
                bytes.append(h << 4 | l)
                i += 2
            } else {
                bytes.append(b)
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: b - 0x30
        case 0x41...0x46: b - 0x41 + 10
        case 0x61...0x66: b - 0x61 + 10
        default: nil
        }
    }
}
