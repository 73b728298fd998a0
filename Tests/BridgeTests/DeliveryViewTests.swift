import Foundation
import Testing
@testable import Bridge

/// The hand-written timestamp formatter against Foundation's ISO 8601 formatter as the oracle.
@Suite struct DeliveryViewTests {
    @Test func timestampsMatchFoundationsISO8601Formatter() {
        let oracle = ISO8601DateFormatter()
        oracle.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var samples: [Int64] = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 4_102_444_800_000,
                                1_614_265_330_123, 1_731_705_121_007, 253_402_300_799_999]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            samples.append(Int64(state >> 22) % 253_402_300_800_000)
        }
        for milliseconds in samples {
            let expected = oracle.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            #expect(DeliveryView.time(milliseconds) == expected, "\(milliseconds)")
        }
    }
}
