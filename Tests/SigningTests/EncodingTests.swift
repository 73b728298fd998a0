import Testing
@testable import Signing

@Suite struct EncodingTests {
    // MARK: - RFC 4648 §10 test vectors

    static let rfc4648: [(String, String, String, String)] = [
        // (input, base64, base64url unpadded, base16)
        ("", "", "", ""),
        ("f", "Zg==", "Zg", "66"),
        ("fo", "Zm8=", "Zm8", "666f"),
        ("foo", "Zm9v", "Zm9v", "666f6f"),
        ("foob", "Zm9vYg==", "Zm9vYg", "666f6f62"),
        ("fooba", "Zm9vYmE=", "Zm9vYmE", "666f6f6261"),
        ("foobar", "Zm9vYmFy", "Zm9vYmFy", "666f6f626172"),
    ]

    @Test(arguments: rfc4648)
    func rfc4648Vectors(input: String, base64: String, base64url: String, base16: String) {
        let bytes = Array(input.utf8)
        #expect(Base64.encode(bytes) == base64)
        #expect(Base64.decode(base64) == bytes)
        #expect(Base64URL.encode(bytes) == base64url)
        #expect(Base64URL.decode(base64url) == bytes)
        #expect(Base64URL.decode(base64) == bytes)  // padding accepted
        #expect(Hex.encode(bytes) == base16)
        #expect(Hex.decode(base16) == bytes)
        #expect(Hex.decode(base16.uppercased()) == bytes)  // RFC 4648 spells base16 in upper case
    }

    @Test func alphabetsDiffer() {
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf]
        #expect(Base64.encode(bytes) == "+/+/")
        #expect(Base64URL.encode(bytes) == "-_-_")
        #expect(Base64.decode("-_-_") == nil)
        #expect(Base64URL.decode("+/+/") == nil)
    }

    @Test func roundTripsEveryLengthAndByte() {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ length) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all)
        #expect(Base64URL.decode(Base64URL.encode(all)) == all)
        #expect(Hex.decode(Hex.encode(all)) == all)
    }

    // MARK: - Rejection

    static let invalidBase64 = [
        "Zg", "Zg=", "Zm8", "Z", "Z===", "=", "====", "Zg===",  // length and padding
        "=Zg=", "Zg==Zg==", "Zm=v",  // padding not at the end
        "Zh==", "Zm9=",  // non-zero unused bits (RFC 4648 §3.5)
        "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v\r\n",  // whitespace
        "Zm-v", "Zm_v", "Zm.v", "Zm9é",  // outside the alphabet
    ]

    @Test(arguments: invalidBase64)
    func base64RejectsInvalid(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    static let invalidBase64URL = [
        "Z", "Zm9vY", "Zg=", "Z===", "Zg===", "Zm8==",  // length and padding
        "=Zg=", "Zg==Zg", "Zm=v",  // padding not at the end
        "Zh", "Zm9", "Zh==",  // non-zero unused bits
        "Zm9v\n", "Zm 9v",  // whitespace
        "Zm+v", "Zm/v", "Zm9é",  // outside the alphabet
    ]

    @Test(arguments: invalidBase64URL)
    func base64URLRejectsInvalid(_ text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test(arguments: ["a", "abc", "zz", "0x12", "12 34", "1g", "é1"])
    func hexRejectsInvalid(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }
}
