import Testing
@testable import Signing

@Suite struct ConstantTimeTests {
    static let cases: [([UInt8], [UInt8], Bool)] = [
        ([], [], true),
        ([1, 2, 3], [1, 2, 3], true),
        ([1, 2, 3], [1, 2, 4], false),  // last byte
        ([0, 2, 3], [1, 2, 3], false),  // first byte
        ([1, 2, 3], [1, 2], false),  // length
        ([], [0], false),
        ([0x80], [0x00], false),  // high bit only
    ]

    @Test(arguments: cases)
    func equals(a: [UInt8], b: [UInt8], expected: Bool) {
        #expect(ConstantTime.equals(a, b) == expected)
        #expect(ConstantTime.equals(b, a) == expected)
    }

    @Test func everySingleBitFlipIsDetected() {
        let base = pattern(32)
        for index in base.indices {
            for bit in 0..<8 {
                var flipped = base
                flipped[index] ^= 1 << bit
                #expect(!ConstantTime.equals(base, flipped))
            }
        }
    }
}
