import Synchronization

/// Request ids: an incoming `X-Request-Id` is kept when it is safe to log, otherwise one is made.
public enum RequestID {
    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value & 0xFFFF_FFFF_FFFF, radix: 16)
        return String(repeating: "0", count: 12 - hex.count) + hex
    }()
    private static let counter = Atomic<UInt64>(0)

    private static let prefixBytes = Array(prefix.utf8)
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A new id, unique within the process and (by its random prefix) across restarts:
    /// 12 hex digits of prefix, a dash, at least 8 hex digits of counter.
    public static func make() -> String {
        var n = counter.add(1, ordering: .relaxed).newValue
        var digits = 8
        while n >> (4 * UInt64(digits)) != 0 { digits += 1 }
        let length = prefixBytes.count + 1 + digits
        return String(unsafeUninitializedCapacity: length) { buffer in
            for (i, b) in prefixBytes.enumerated() { buffer[i] = b }
            buffer[prefixBytes.count] = UInt8(ascii: "-")
            var i = length - 1
            for _ in 0..<digits {
                buffer[i] = hexDigits[Int(n & 0xF)]
                n >>= 4
                i -= 1
            }
            return length
        }
    }

    /// True when a client-supplied id may be reused: 1–128 characters of `A-Z a-z 0-9 - _ . :`.
    public static func isAcceptable(_ id: String) -> Bool {
        let bytes = id.utf8
        guard !bytes.isEmpty, bytes.count <= 128 else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A
        }
    }
}
