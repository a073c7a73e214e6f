//go:build linux || darwin

package main

import (
	"os"
	"syscall"
	"unsafe"
)

// termCols reads the terminal's width with TIOCGWINSZ; 0 when f is not a
// terminal.
func termCols(f *os.File) int {
	var ws struct{ row, col, x, y uint16 }
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws)))
	if errno != 0 {
		return 0
	}
	return int(ws.col)
}
