import Glibc

/// A failed system call: which call and the `errno` it left.
public struct SystemError: Error, CustomStringConvertible, Sendable, Equatable {
    public let call: String
    public let errno: Int32

    public init(_ call: String, errno: Int32 = Glibc.errno) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// Thin throwing wrappers over the POSIX calls the server makes; each retries on EINTR where that is safe.
enum Syscall {
    /// Runs `body` until it does not fail with EINTR; throws `SystemError` on -1.
    @inline(__always)
    static func retrying<T: BinaryInteger>(_ call: String, _ body: () -> T) throws(SystemError) -> T {
        while true {
            let result = body()
            if result == -1 {
                let code = Glibc.errno
                if code == EINTR { continue }
                throw SystemError(call, errno: code)
            }
            return result
        }
    }

    /// Outcome of a non-blocking read or write.
    enum IOResult: Equatable {
        case processed(Int)
        case wouldBlock
        case endOfFile
    }

    /// `read(2)` on a non-blocking descriptor.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .processed(n) }
            if n == 0 { return .endOfFile }
            let code = Glibc.errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw SystemError("read", errno: code)
            }
        }
    }

    /// `send(2)` with `MSG_NOSIGNAL` on a non-blocking socket.
    static func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemError) -> IOResult {
        while true {
            let n = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            if n >= 0 { return .processed(n) }
            let code = Glibc.errno
            switch code {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            default: throw SystemError("send", errno: code)
            }
        }
    }

    /// `close(2)`; EINTR is not retried (Linux has already released the descriptor).
    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Sets an integer socket option.
    static func setOption(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var v = value
        _ = try retrying("setsockopt") { setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// Ignores SIGPIPE process-wide: a peer that goes away must surface as EPIPE, not kill the process.
    static func ignoreSIGPIPE() {
        _ = signal(SIGPIPE, SIG_IGN)
    }
}
