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
		if s, isSlot := conn.(*slotConn); isSlot {
			sc, ok = s.Conn.(syscall.Conn)
		}
	}
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := true
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK):
		case err != nil, n == 0: // reset, or closed (end of stream)
			alive = false
		default: // bytes nobody asked for: a late answer, or a TLS record
			alive = n < 0
		}
		return true
	})
	return alive && err == nil
}
