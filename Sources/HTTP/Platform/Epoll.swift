import CLinux
import Glibc

/// One `epoll(7)` instance plus an `eventfd(2)` used to wake it from other threads.
final class Epoll {
    let fd: Int32
    let wakeFD: Int32

    init() throws(SystemError) {
        let epfd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epfd >= 0 else { throw SystemError("epoll_create1") }
        let wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wake >= 0 else {
            let error = SystemError("eventfd")
            Syscall.close(epfd)
            throw error
        }
        fd = epfd
        wakeFD = wake
        try add(wakeFD, events: clinux_EPOLLIN)
    }

    deinit {
        Syscall.close(wakeFD)
        Syscall.close(fd)
    }

    /// Registers `descriptor` for `events`; the descriptor itself is the event's user data.
    func add(_ descriptor: Int32, events: UInt32) throws(SystemError) {
        var event = epoll_event()
        event.events = events
        event.data.fd = descriptor
        _ = try Syscall.retrying("epoll_ctl(ADD)") { epoll_ctl(fd, EPOLL_CTL_ADD, descriptor, &event) }
    }

    /// Unregisters `descriptor` (closing it does that too).
    func remove(_ descriptor: Int32) {
        _ = epoll_ctl(fd, EPOLL_CTL_DEL, descriptor, nil)
    }

    /// Waits up to `timeoutMilliseconds` (-1 = forever) and returns how many events were filled in.
    func wait(into events: UnsafeMutableBufferPointer<epoll_event>, timeoutMilliseconds: Int32) -> Int {
        let n = epoll_wait(fd, events.baseAddress, Int32(events.count), timeoutMilliseconds)
        return n < 0 ? 0 : Int(n)
    }

    /// Wakes a thread blocked in `wait`.
    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// Consumes pending wake-ups.
    func drainWakeups() {
        var value: UInt64 = 0
        _ = Glibc.read(wakeFD, &value, 8)
    }
}
