/// HMAC (RFC 2104) over any `HashFunction`: `H((K ^ opad) || H((K ^ ipad) || message))`.
public struct HMAC<H: HashFunction>: Sendable {
    private var inner: H
    private var outer: H

    /// A MAC keyed with `key`; keys longer than the hash's block size are hashed first (RFC 2104 §2).
    public init(key: some Sequence<UInt8>) {
        var block = Array(key)
        if block.count > H.blockSize {
            block = H.hash(block)
        }
        block += repeatElement(0, count: H.blockSize - block.count)
        inner = H()
        inner.update(block.map { $0 ^ 0x36 })
        outer = H()
        outer.update(block.map { $0 ^ 0x5c })
    }

    /// Absorbs `bytes` into the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bytes)
    }

    /// Absorbs `bytes` (`[UInt8]`, `Data`, or any other byte sequence) into the message.
    public mutating func update(_ bytes: some Sequence<UInt8>) {
        inner.update(bytes)
    }

    /// Absorbs the UTF-8 encoding of `string` into the message.
    public mutating func update(_ string: String) {
        inner.update(string)
    }

    /// The authentication code of everything absorbed so far; `H.digestSize` bytes.
    public func finalize() -> [UInt8] {
        var outer = outer
        outer.update(inner.finalize())
        return outer.finalize()
    }

    /// The authentication code of `message` under `key`.
    public static func authenticationCode(for message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> [UInt8] {
        var mac = HMAC(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// The authentication code of the UTF-8 encoding of `message` under `key`.
    public static func authenticationCode(for message: String, key: some Sequence<UInt8>) -> [UInt8] {
        var mac = HMAC(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// Whether `code` is the authentication code of `message` under `key`, compared in constant time.
    public static func isValidAuthenticationCode(_ code: [UInt8], for message: some Sequence<UInt8>, key: some Sequence<UInt8>) -> Bool {
        ConstantTime.equals(authenticationCode(for: message, key: key), code)
    }
}
