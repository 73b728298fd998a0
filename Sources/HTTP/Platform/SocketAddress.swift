import Glibc

/// An IPv4 or IPv6 socket address.
struct SocketAddress: Sendable {
    var storage: sockaddr_storage
    var length: socklen_t

    var family: Int32 { Int32(storage.ss_family) }

    /// Resolves a numeric address or a host name (first result) for a passive socket.
    static func resolve(host: String, port: Int) throws -> SocketAddress {
        guard (0...65535).contains(port) else { throw HTTPServerError.invalidAddress("port \(port) is out of range") }
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let first = result else {
            throw HTTPServerError.invalidAddress("cannot resolve '\(host)': \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(result) }
        var address = SocketAddress(storage: sockaddr_storage(), length: first.pointee.ai_addrlen)
        withUnsafeMutableBytes(of: &address.storage) { dest in
            dest.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return address
    }

    /// True for 127.0.0.0/8, ::1 and IPv4-mapped 127.0.0.0/8.
    var isLoopback: Bool {
        withUnsafeBytes(of: storage) { raw in
            switch family {
            case AF_INET:
                let address = raw.load(as: sockaddr_in.self).sin_addr.s_addr
                return UInt32(bigEndian: address) >> 24 == 127
            case AF_INET6:
                let bytes = withUnsafeBytes(of: raw.load(as: sockaddr_in6.self).sin6_addr) { Array($0) }
                if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
                return bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff && bytes[12] == 127
            default:
                return false
            }
        }
    }

    /// The same address with another port.
    func with(port: Int) -> SocketAddress {
        var copy = self
        withUnsafeMutableBytes(of: &copy.storage) { raw in
            if family == AF_INET {
                raw.withMemoryRebound(to: sockaddr_in.self) { $0[0].sin_port = in_port_t(UInt16(port).bigEndian) }
            } else {
                raw.withMemoryRebound(to: sockaddr_in6.self) { $0[0].sin6_port = in_port_t(UInt16(port).bigEndian) }
            }
        }
        return copy
    }

    /// The port of a bound socket.
    static func localPort(of fd: Int32) throws(SystemError) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try withUnsafeMutablePointer(to: &storage) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa throws(SystemError) in
                try Syscall.retrying("getsockname") { getsockname(fd, sa, &length) }
            }
        }
        let family = Int32(storage.ss_family)
        return withUnsafeBytes(of: &storage) { raw in
            if family == AF_INET {
                return Int(UInt16(bigEndian: raw.load(as: sockaddr_in.self).sin_port))
            }
            return Int(UInt16(bigEndian: raw.load(as: sockaddr_in6.self).sin6_port))
        }
    }
}

/// Errors starting the server.
public enum HTTPServerError: Error, CustomStringConvertible, Sendable {
    case invalidAddress(String)
    case addressInUse(String)
    case system(SystemError)

    public var description: String {
        switch self {
        case .invalidAddress(let message): "invalid listen address: \(message)"
        case .addressInUse(let address): "cannot listen on \(address): address already in use"
        case .system(let error): error.description
        }
    }
}

/// Listening sockets.
enum Listener {
    /// Binds a throwaway socket without SO_REUSEPORT to detect a port already in use (and to pick
    /// a free port for port 0); returns the port.
    static func probe(_ address: SocketAddress) throws -> Int {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.system(SystemError("socket")) }
        defer { Syscall.close(fd) }
        try? Syscall.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
        try bind(fd, address)
        return try SocketAddress.localPort(of: fd)
    }

    /// A non-blocking listening socket with SO_REUSEADDR and SO_REUSEPORT.
    static func open(_ address: SocketAddress, backlog: Int32) throws -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError.system(SystemError("socket")) }
        do {
            try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            try Syscall.setOption(fd, SOL_SOCKET, SO_REUSEPORT, 1)
            try bind(fd, address)
            _ = try Syscall.retrying("listen") { listen(fd, backlog) }
        } catch let error as SystemError {
            Syscall.close(fd)
            throw HTTPServerError.system(error)
        } catch {
            Syscall.close(fd)
            throw error
        }
        return fd
    }

    private static func bind(_ fd: Int32, _ address: SocketAddress) throws {
        var storage = address.storage
        let result = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, address.length) }
        }
        if result != 0 {
            let code = errno
            if code == EADDRINUSE { throw HTTPServerError.addressInUse(address.description) }
            throw HTTPServerError.system(SystemError("bind", errno: code))
        }
    }
}

extension SocketAddress: CustomStringConvertible {
    var description: String {
        var copy = storage
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        let status = withUnsafePointer(to: &copy) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV)
            }
        }
        guard status == 0 else { return "?" }
        func text(_ chars: [CChar]) -> String { String(decoding: chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        let h = text(host), s = text(service)
        return family == AF_INET6 ? "[\(h)]:\(s)" : "\(h):\(s)"
    }
}
