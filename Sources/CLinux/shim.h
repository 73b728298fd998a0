#ifndef BOTBRIDGE_CLINUX_SHIM_H
#define BOTBRIDGE_CLINUX_SHIM_H
// Linux system headers that Swift's Glibc module does not export (epoll, eventfd), nothing else.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
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

/// accept4(2) without the peer address (needs _GNU_SOURCE, which Swift's Glibc does not define).
static inline int clinux_accept4(int fd, int flags) { return accept4(fd, NULL, NULL, flags); }

#endif
