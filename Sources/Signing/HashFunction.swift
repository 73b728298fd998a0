/// A cryptographic hash that absorbs bytes incrementally and produces a fixed-size digest.
///
/// Values are independent copies: `finalize()` does not consume the hasher, so a partially fed
/// hasher can be copied, finalized, and fed further.
public protocol HashFunction: Sendable {
    /// Bytes per compression block; HMAC pads its key to this size.
    static var blockSize: Int { get }
    /// Bytes in the digest.
    static var digestSize: Int { get }

    /// A hasher that has absorbed nothing.
    init()

    /// Absorbs `bytes`.
    mutating func update(_ bytes: UnsafeRawBufferPointer)

    /// The digest of everything absorbed so far.
    func finalize() -> [UInt8]
}

extension HashFunction {
    /// Absorbs `bytes` (`[UInt8]`, `Data`, an array slice, or any other byte sequence).
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            update(Array(bytes))
        }
    }

    /// Absorbs the UTF-8 encoding of `string`.
    public mutating func update(_ string: String) {
        var string = string
        string.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// The digest of `bytes`.
    public static func hash(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var hasher = Self()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The digest of the UTF-8 encoding of `string`.
    public static func hash(_ string: String) -> [UInt8] {
        var hasher = Self()
        hasher.update(string)
        return hasher.finalize()
    }
}
