/// The part of a Merkle–Damgård hash that differs between SHA-1, SHA-256 and SHA-512: the chaining
/// state and the function that folds whole message blocks into it (FIPS 180-4 §6).
protocol BlockCompressor: Sendable {
    /// Bytes per message block: 64 or 128.
    static var blockSize: Int { get }
    /// Bytes of the big-endian bit length that ends the padding: 8 or 16 (FIPS 180-4 §5.1).
    static var lengthFieldSize: Int { get }

    /// The initial hash value (FIPS 180-4 §5.3).
    init()

    /// Folds `blocks`, whose count is a whole multiple of `blockSize`, into the state.
    mutating func compress(_ blocks: UnsafeRawBufferPointer)

    /// The state serialized big-endian, truncated to the digest size.
    var digest: [UInt8] { get }
}
