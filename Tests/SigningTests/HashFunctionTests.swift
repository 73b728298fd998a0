import Foundation
import Testing
@testable import Signing

/// The three hashes, so one test table can cover them all.
enum Algorithm: String, CaseIterable, Sendable {
    case sha1, sha256, sha512

    /// Runs `body` with the hash's type.
    func with<Result>(_ body: (any HashFunction.Type) -> Result) -> Result {
        switch self {
        case .sha1: body(SHA1.self)
        case .sha256: body(SHA256.self)
        case .sha512: body(SHA512.self)
        }
    }

    func hex(_ bytes: [UInt8]) -> String {
        Hex.encode(with { $0.hash(bytes) })
    }

    func hex(_ string: String) -> String {
        Hex.encode(with { $0.hash(string) })
    }

    /// Hashes `bytes` fed in pieces whose sizes cycle through `pieces`.
    func hexIncrementally(_ bytes: [UInt8], pieces: [Int]) -> String {
        switch self {
        case .sha1: Hex.encode(hashIncrementally(SHA1.self, bytes, pieces: pieces))
        case .sha256: Hex.encode(hashIncrementally(SHA256.self, bytes, pieces: pieces))
        case .sha512: Hex.encode(hashIncrementally(SHA512.self, bytes, pieces: pieces))
        }
    }
}

/// Hashes `bytes` with `H`, fed in pieces whose sizes cycle through `pieces`.
func hashIncrementally<H: HashFunction>(_: H.Type, _ bytes: [UInt8], pieces: [Int]) -> [UInt8] {
    var hasher = H()
    var offset = 0
    var piece = 0
    while offset < bytes.count {
        let end = min(bytes.count, offset + pieces[piece % pieces.count])
        hasher.update(bytes[offset..<end])
        offset = end
        piece += 1
    }
    return hasher.finalize()
}

/// `n` bytes that are not all alike: `(7i + 3) mod 256`.
func pattern(_ n: Int) -> [UInt8] {
    (0..<n).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
}

@Suite struct HashFunctionTests {
    // MARK: - FIPS 180 examples (NIST CSRC "Examples with Intermediate Values")

    static let abc = "abc"
    static let bits448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
    static let bits896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"

    static let examples: [(Algorithm, String, String)] = [
        (.sha1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        (.sha1, abc, "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (.sha1, bits448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        (.sha1, bits896, "a49b2446a02c645bf419f995b67091253a04a259"),
        (.sha256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        (.sha256, abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (.sha256, bits448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        (.sha256, bits896, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        (.sha512, "", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
        (.sha512, abc, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        (.sha512, bits448, "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"),
        (.sha512, bits896, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909"),
    ]

    @Test(arguments: examples)
    func fipsExample(algorithm: Algorithm, message: String, expected: String) {
        #expect(algorithm.hex(message) == expected)
        #expect(algorithm.hex(Array(message.utf8)) == expected)
        #expect(Hex.encode(algorithm.with { $0.hash(Data(message.utf8)) }) == expected)
    }

    static let millionA: [(Algorithm, String)] = [
        (.sha1, "34aa973cd4c4daa4f61eeb2bdbad27316534016f"),
        (.sha256, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
        (.sha512, "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b"),
    ]

    @Test(arguments: millionA)
    func oneMillionA(algorithm: Algorithm, expected: String) {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(algorithm.hex(message) == expected)
        #expect(algorithm.hexIncrementally(message, pieces: [1000]) == expected)
    }

    // MARK: - Padding boundaries (expected values from Python's hashlib over `pattern(n)`)

    static let boundaries: [(Algorithm, Int, String)] = [
        (.sha1, 55, "ddf57317ef34bfee3b6df83d359098930eb278bc"),
        (.sha1, 56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"),
        (.sha1, 63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"),
        (.sha1, 64, "bede92be29c3874e1b54ddc77988d606fc857a8e"),
        (.sha1, 111, "4a01b1272627e5be00f57bc3c3029c23a452e629"),
        (.sha1, 112, "54c08c2a0ed21de25e3d8606c3929454eb1d3f8b"),
        (.sha1, 127, "34d5e582029e9b9b85b2febe31da3db7cdabaaea"),
        (.sha1, 128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"),
        (.sha256, 55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"),
        (.sha256, 56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"),
        (.sha256, 63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"),
        (.sha256, 64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"),
        (.sha256, 111, "67d9492e628fd376e0b2efec8ca2b99b123e202cf620deb270728df979b2f73e"),
        (.sha256, 112, "96b928cff8528dbb99602c709a65b846cb6467acb8b722f0d758e4dc27bfc508"),
        (.sha256, 127, "a8d23e75d936f303d248888d9b165ee543f4cbafcad3c9dd2a79bd84faa11d07"),
        (.sha256, 128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"),
        (.sha512, 55, "14fd424b1fcadee624da946ab03f7e1def7c0d6e00f689594319881a26ff30b875ba4c622ac13100c8cc784c9c2eb23159aecbb4a02e3999062f551193e2b256"),
        (.sha512, 56, "480fa85be41ef55a41208ca28ffc8743c91cf7d24758defe6f95bfb16de614fc86b701034896b047dd571de4318853d80e0809df162f1752cb26da6ddb94a0dd"),
        (.sha512, 63, "ecd42a703a4e93e163d60d55e3785b1a763838b0351bc2e6f7c94b4bfb24f9aa15da5d744ebcebe11f0fc4315d45ba3a047b6e60e07448357f2795bf34b73502"),
        (.sha512, 64, "8f3cc30b3fb5bf963688a46488249248ac2c67f0f85a145233c6c1e3c16dcd1df634c07d1d31da02576f65b9cf64e1c3fdb318b689b8a14e2e9552bcf30fb133"),
        (.sha512, 111, "68cffa6d0d76f309c9ce0d35280939f8e25990c43b7b086ccdf709be35b07d4ddba599541ff2b1c19d34ea49aeafb9659adb7ac3c0b078bb30a22d57fc6687ef"),
        (.sha512, 112, "d0865c524d1dddf7c23b799c413f5adcd7caefd3f66a9b49750ec81066012c25a8bcf94ddea6dc525691673097ca40e0101e897fc97218cfdb0704084e2bef4b"),
        (.sha512, 127, "e0b6a20f1c0c88970a9340152cd5a1c1ecf3d3b8de55102741879438079473540133b812706e5dbec322c8c9523b6fc8c6d16ee626e87ad5fe3d2916afedc369"),
        (.sha512, 128, "99b16f17aa0b969a5b8f08f367719d516e330ccd2660b6f0688ec031dbc783de50a1cd185a2568dba75070a2403d17d4741d163578515dfd2ff756ddfe4d47b1"),
    ]

    @Test(arguments: boundaries)
    func paddingBoundary(algorithm: Algorithm, length: Int, expected: String) {
        #expect(algorithm.hex(pattern(length)) == expected)
    }

    // MARK: - Incremental use

    static let pieceSizes: [[Int]] = [[1], [3, 5, 7], [13, 1, 63], [64], [65, 127], [129, 2]]

    @Test(arguments: Algorithm.allCases, pieceSizes)
    func incrementalMatchesOneShot(algorithm: Algorithm, pieces: [Int]) {
        for length in [0, 1, 55, 56, 63, 64, 65, 111, 112, 127, 128, 129, 300, 1000] {
            let message = pattern(length)
            #expect(algorithm.hexIncrementally(message, pieces: pieces) == algorithm.hex(message), "length \(length)")
        }
    }

    @Test(arguments: Algorithm.allCases)
    func finalizeLeavesTheHasherUsable(algorithm: Algorithm) {
        algorithm.with { type in
            var hasher = type.init()
            hasher.update(pattern(70))
            #expect(hasher.finalize() == type.hash(pattern(70)))
            hasher.update(pattern(200).dropFirst(70))
            #expect(hasher.finalize() == type.hash(pattern(200)))
        }
    }

    @Test(arguments: Algorithm.allCases)
    func everyInputFormAgrees(algorithm: Algorithm) {
        algorithm.with { type in
            let text = "héllo, wörld ✓"
            let expected = type.hash(Array(text.utf8))
            #expect(type.hash(text) == expected)
            #expect(type.hash(Data(text.utf8)) == expected)
            #expect(type.hash(text.utf8) == expected)
            #expect(type.hash(Array(text.utf8).lazy.map { $0 }) == expected)  // no contiguous storage
            var raw = type.init()
            Array(text.utf8).withUnsafeBytes { raw.update($0) }
            #expect(raw.finalize() == expected)
            #expect(expected.count == type.digestSize)
        }
    }

    @Test func sizes() {
        #expect(SHA1.blockSize == 64 && SHA1.digestSize == 20)
        #expect(SHA256.blockSize == 64 && SHA256.digestSize == 32)
        #expect(SHA512.blockSize == 128 && SHA512.digestSize == 64)
    }
}
