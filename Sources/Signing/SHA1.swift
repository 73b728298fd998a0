/// SHA-1 (FIPS 180-4 §6.1): 20-byte digests over 64-byte blocks.
///
/// Broken for collision resistance; here only for HMAC-SHA1, which some webhook senders still use.
public struct SHA1: HashFunction {
    /// 64 bytes.
    public static let blockSize = 64
    /// 20 bytes.
    public static let digestSize = 20

    private var engine = MerkleDamgard<State>()

    /// A hasher that has absorbed nothing.
    public init() {}

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        engine.update(bytes)
    }

    /// The 20-byte digest of everything absorbed so far.
    public func finalize() -> [UInt8] {
        engine.finalize()
    }
}

// MARK: - Compression

extension SHA1 {
    /// The five 32-bit working words H0…H4.
    struct State: BlockCompressor {
        static let blockSize = 64
        static let lengthFieldSize = 8

        // FIPS 180-4 §5.3.1.
        var h0: UInt32 = 0x67452301, h1: UInt32 = 0xefcdab89, h2: UInt32 = 0x98badcfe
        var h3: UInt32 = 0x10325476, h4: UInt32 = 0xc3d2e1f0

        init() {}

        mutating func compress(_ blocks: UnsafeRawBufferPointer) {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
                var offset = 0
                while offset < blocks.count {
                    // §6.1.2 step 1: the message schedule.
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: blocks.loadUnaligned(fromByteOffset: offset + 4 * t, as: UInt32.self))
                    }
                    for t in 16..<80 {
                        w[t] = (w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16]).rotatedLeft(by: 1)
                    }

                    // Steps 2–3: 80 rounds, in four stretches of 20 with their own function f_t
                    // and constant K_t (§4.1.1, §4.2.1).
                    var a = h0, b = h1, c = h2, d = h3, e = h4
                    @inline(__always)
                    func round(_ f: UInt32, _ k: UInt32, _ wt: UInt32) {
                        let temp = a.rotatedLeft(by: 5) &+ f &+ e &+ k &+ wt
                        e = d; d = c; c = b.rotatedLeft(by: 30); b = a; a = temp
                    }
                    for t in 0..<20 { round((b & c) ^ (~b & d), 0x5a827999, w[t]) }
                    for t in 20..<40 { round(b ^ c ^ d, 0x6ed9eba1, w[t]) }
                    for t in 40..<60 { round((b & c) ^ (b & d) ^ (c & d), 0x8f1bbcdc, w[t]) }
                    for t in 60..<80 { round(b ^ c ^ d, 0xca62c1d6, w[t]) }

                    // Step 4: the intermediate hash value.
                    h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d; h4 &+= e
                    offset += SHA1.blockSize
                }
            }
        }

        var digest: [UInt8] {
            [h0, h1, h2, h3, h4].bigEndianBytes
        }
    }
}
