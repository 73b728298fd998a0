import Foundation
import Glibc
import Testing
@testable import HTTP

/// Handlers learn whether the client is on loopback (operator routes rely on it).
@Suite struct PeerAddressTests {
    static func router() -> Router {
        var router = Router()
        router.get("/peer") { _, context in .text(context.peerIsLoopback ? "loopback" : "remote") }
        return router
    }

    /// This machine's first IPv4 address that is not loopback, if it has one.
    static func externalIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            let ip = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
            if UInt32(bigEndian: ip) >> 24 == 127 { continue }
            var text = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            var raw = in_addr(s_addr: ip)
            inet_ntop(AF_INET, &raw, &text, socklen_t(INET_ADDRSTRLEN))
            return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return nil
    }

    @Test func loopbackClientIsRecognised() async throws {
        try await withServer(router: Self.router()) { _, port in
            let body = try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /peer HTTP/1.1\r\nHost: t\r\n\r\n")
                return try c.readResponse().bodyText
            }
            #expect(body == "loopback")
        }
    }

    @Test(.enabled(if: externalIPv4() != nil, "needs a non-loopback IPv4 address"))
    func clientOnAnotherAddressIsNotLoopback() async throws {
        let ip = try #require(Self.externalIPv4())
        try await withServer({ $0.host = "0.0.0.0" }, router: Self.router()) { _, port in
            let body = try await blocking {
                let c = try RawConnection(port: port, host: ip)
                c.send("GET /peer HTTP/1.1\r\nHost: t\r\n\r\n")
                return try c.readResponse().bodyText
            }
            #expect(body == "remote")
        }
    }
}
