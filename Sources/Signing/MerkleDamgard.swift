/// Buffers a partial block and the message length in front of a `BlockCompressor`, and applies the
/// FIPS 180-4 §5.1 padding at the end.
struct MerkleDamgard<State: BlockCompressor>: Sendable {
    private var state = State()
    /// Bytes not yet compressed; 128 bytes covers the largest block (SHA-512).
    private var pending: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                          UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    private var pendingCount = 0
    /// Total bytes absorbed, modulo 2^64.
    private var byteCount: UInt64 = 0

    init() {}

    mutating func update(_ input: UnsafeRawBufferPointer) {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        let blockSize = State.blockSize
        byteCount &+= UInt64(input.count)
        var offset = 0

        // Top up a partial block first.
        if pendingCount > 0 {
            let start = pendingCount
            let take = min(blockSize - start, input.count)
            withUnsafeMutableBytes(of: &pending) { buffer in
                (buffer.baseAddress! + start).copyMemory(from: base, byteCount: take)
            }
            pendingCount += take
            offset = take
            guard pendingCount == blockSize else { return }
            withUnsafeBytes(of: pending) { buffer in
                state.compress(UnsafeRawBufferPointer(rebasing: buffer[0..<blockSize]))
            }
            pendingCount = 0
        }

        // Compress whole blocks straight from the input.
        let whole = (input.count - offset) / blockSize * blockSize
        if whole > 0 {
            state.compress(UnsafeRawBufferPointer(start: base + offset, count: whole))
            offset += whole
        }

        // Keep the tail.
        let tail = input.count - offset
        if tail > 0 {
            withUnsafeMutableBytes(of: &pending) { buffer in
                buffer.baseAddress!.copyMemory(from: base + offset, byteCount: tail)
            }
            pendingCount = tail
        }
    }

    /// The digest of everything absorbed; `self` is left untouched.
    func finalize() -> [UInt8] {
        let blockSize = State.blockSize
        let lengthFieldSize = State.lengthFieldSize
        // 0x80, then zeros up to the length field, then the length in bits, big-endian.
        let zeros = (blockSize - (pendingCount + 1 + lengthFieldSize) % blockSize) % blockSize
        var padding = [UInt8](repeating: 0, count: 1 + zeros + lengthFieldSize)
        padding[0] = 0x80
        let lowBits = byteCount << 3
        let highBits = byteCount >> 61
        for i in 0..<8 {
            padding[padding.count - 1 - i] = UInt8(truncatingIfNeeded: lowBits >> (8 * UInt64(i)))
        }
        if lengthFieldSize == 16 {
            for i in 0..<8 {
                padding[padding.count - 9 - i] = UInt8(truncatingIfNeeded: highBits >> (8 * UInt64(i)))
            }
        }
        var copy = self
        padding.withUnsafeBytes { copy.update($0) }
        assert(copy.pendingCount == 0)
        return copy.state.digest
    }
}
