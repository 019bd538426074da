//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sender

import (
	"errors"
	"net"
	"syscall"
)

// connAlive reports whether conn, an idle kept-alive connection, can carry
// another request: the server has not closed or reset it, and has sent
// nothing unasked. It peeks at the socket without blocking, so a request is
// never written into a connection the server has already given up on (the
// pooled transport learns the same from its background read).
func connAlive(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return true // nothing to peek at: let the next request tell
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var peekErr error
	var buf [1]byte
	if err := rc.Read(func(fd uintptr) bool {
		_, _, peekErr = syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return true
	}); err != nil {
		return false
	}
	// Nothing to read yet is the only healthy state: the end of the
	// stream (no error, nothing read), a reset, or bytes nobody asked
	// for (a late answer) all end the connection's use.
	return errors.Is(peekErr, syscall.EAGAIN)
}
