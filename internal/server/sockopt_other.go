//go:build !linux

package server

import (
	"syscall"
	"time"
)

// setNotSentLowat is Linux-only; elsewhere streams run without it.
func setNotSentLowat(raw syscall.RawConn, n int) error { return syscall.ENOPROTOOPT }

func (p *connPartWriter) writable(fd uintptr) bool { return true }

func (p *connPartWriter) queued(int) (int, time.Duration, error) { return 0, 0, nil }

type queueState struct{}
