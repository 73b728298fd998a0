#ifndef BOTBRIDGE_CLINUX_SHIM_H
#define BOTBRIDGE_CLINUX_SHIM_H
// Linux system headers that Swift's Glibc module does not export (epoll, eventfd, accept4, pipe2), nothing else.
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <stddef.h>
#include <stdint.h>

static const uint32_t clinux_EPOLLIN = EPOLLIN;
static const uint32_t clinux_EPOLLOUT = EPOLLOUT;
static const uint32_t clinux_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t clinux_EPOLLHUP = EPOLLHUP;
static const uint32_t clinux_EPOLLERR = EPOLLERR;
static const uint32_t clinux_EPOLLET = EPOLLET;

// glibc declares accept4(2) only under _GNU_SOURCE, and defining that here would make this
// module's view of shared structs (fd_set...) differ from Swift's Glibc module. Declare it alone.
extern int accept4(int fd, struct sockaddr *addr, socklen_t *addrlen, int flags);

// pipe2(2), likewise declared only under _GNU_SOURCE: a pipe close-on-exec from the start.
extern int pipe2(int fds[2], int flags);

/// accept4(2), filling in the peer address.
static inline int clinux_accept4(int fd, struct sockaddr_storage *peer, int flags) {
    socklen_t length = sizeof(struct sockaddr_storage);
    return accept4(fd, (struct sockaddr *)peer, &length, flags);
}

#endif
