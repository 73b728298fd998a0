import Foundation
import Testing
@testable import Signing

/// One published HMAC test case.
struct HMACCase: Sendable, CustomTestStringConvertible {
    let number: Int
    let key: [UInt8]
    let data: [UInt8]
    let expected: String

    init(_ number: Int, key: [UInt8], data: [UInt8], _ expected: String) {
        self.number = number
        self.key = key
        self.data = data
        self.expected = expected
    }

    init(_ number: Int, key: [UInt8], data: String, _ expected: String) {
        self.init(number, key: key, data: Array(data.utf8), expected)
    }

    var testDescription: String { "case \(number)" }

    /// The code for `H`, truncated to the expected length (RFC 4231 case 5 keeps 128 bits).
    func code<H: HashFunction>(_: H.Type) -> String {
        let mac = HMAC<H>.authenticationCode(for: data, key: key)
        return String(Hex.encode(mac).prefix(expected.count))
    }
}

private func bytes(_ byte: UInt8, _ count: Int) -> [UInt8] {
    [UInt8](repeating: byte, count: count)
}

private let jefe = Array("Jefe".utf8)
private let counting = Array(UInt8(1)...UInt8(25))

@Suite struct HMACTests {
    // MARK: - RFC 4231 §4 (HMAC-SHA-256 and HMAC-SHA-512)

    static let rfc4231SHA256: [HMACCase] = [
        HMACCase(1, key: bytes(0x0b, 20), data: "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        HMACCase(2, key: jefe, data: "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        HMACCase(3, key: bytes(0xaa, 20), data: bytes(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
        HMACCase(4, key: counting, data: bytes(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
        HMACCase(5, key: bytes(0x0c, 20), data: "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
        HMACCase(6, key: bytes(0xaa, 131), data: "Test Using Larger Than Block-Size Key - Hash Key First",
                 "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
        HMACCase(7, key: bytes(0xaa, 131), data: "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                 "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
    ]

    static let rfc4231SHA512: [HMACCase] = [
        HMACCase(1, key: bytes(0x0b, 20), data: "Hi There",
                 "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854"),
        HMACCase(2, key: jefe, data: "what do ya want for nothing?",
                 "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"),
        HMACCase(3, key: bytes(0xaa, 20), data: bytes(0xdd, 50),
                 "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb"),
        HMACCase(4, key: counting, data: bytes(0xcd, 50),
                 "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3dba91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd"),
        HMACCase(5, key: bytes(0x0c, 20), data: "Test With Truncation", "415fad6271580a531d4179bc891d87a6"),
        HMACCase(6, key: bytes(0xaa, 131), data: "Test Using Larger Than Block-Size Key - Hash Key First",
                 "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f3526b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598"),
        HMACCase(7, key: bytes(0xaa, 131), data: "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.",
                 "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58"),
    ]

    @Test(arguments: rfc4231SHA256)
    func rfc4231HMACSHA256(_ test: HMACCase) {
        #expect(test.code(SHA256.self) == test.expected)
    }

    @Test(arguments: rfc4231SHA512)
    func rfc4231HMACSHA512(_ test: HMACCase) {
        #expect(test.code(SHA512.self) == test.expected)
    }

    // MARK: - RFC 2202 §3 (HMAC-SHA-1)

    static let rfc2202SHA1: [HMACCase] = [
        HMACCase(1, key: bytes(0x0b, 20), data: "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00"),
        HMACCase(2, key: jefe, data: "what do ya want for nothing?", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        HMACCase(3, key: bytes(0xaa, 20), data: bytes(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
        HMACCase(4, key: counting, data: bytes(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
        HMACCase(5, key: bytes(0x0c, 20), data: "Test With Truncation", "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
        HMACCase(6, key: bytes(0xaa, 80), data: "Test Using Larger Than Block-Size Key - Hash Key First",
                 "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
        HMACCase(7, key: bytes(0xaa, 80), data: "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data",
                 "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
    ]

    @Test(arguments: rfc2202SHA1)
    func rfc2202HMACSHA1(_ test: HMACCase) {
        #expect(test.code(SHA1.self) == test.expected)
    }

    // MARK: - API shape

    @Test func incrementalMatchesOneShot() {
        let key = pattern(40)
        let message = pattern(500)
        let expected = HMAC<SHA256>.authenticationCode(for: message, key: key)
        var mac = HMAC<SHA256>(key: key)
        for chunk in stride(from: 0, to: message.count, by: 37) {
            mac.update(message[chunk..<min(message.count, chunk + 37)])
        }
        #expect(mac.finalize() == expected)
        #expect(mac.finalize() == expected)  // finalize does not consume
    }

    @Test func stringAndDataMessagesAgree() {
        let expected = HMAC<SHA256>.authenticationCode(for: Array("what do ya want for nothing?".utf8), key: jefe)
        #expect(HMAC<SHA256>.authenticationCode(for: "what do ya want for nothing?", key: jefe) == expected)
        #expect(HMAC<SHA256>.authenticationCode(for: Data("what do ya want for nothing?".utf8), key: Data(jefe)) == expected)
    }

    @Test func keyOfExactlyBlockSizeIsNotHashed() {
        // A 64-byte key is used as is; hashing it first would give the code of a different key.
        let key = pattern(64)
        #expect(HMAC<SHA256>.authenticationCode(for: "m", key: key)
            != HMAC<SHA256>.authenticationCode(for: "m", key: SHA256.hash(key)))
        // A 65-byte key is hashed, so it and its digest give the same code.
        let long = pattern(65)
        #expect(HMAC<SHA256>.authenticationCode(for: "m", key: long)
            == HMAC<SHA256>.authenticationCode(for: "m", key: SHA256.hash(long)))
    }

    @Test func validation() {
        let code = HMAC<SHA256>.authenticationCode(for: "body", key: jefe)
        #expect(HMAC<SHA256>.isValidAuthenticationCode(code, for: Array("body".utf8), key: jefe))
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(code, for: Array("bodY".utf8), key: jefe))
        #expect(!HMAC<SHA256>.isValidAuthenticationCode(Array(code.dropLast()), for: Array("body".utf8), key: jefe))
    }
}
