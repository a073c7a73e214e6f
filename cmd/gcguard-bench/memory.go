package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// heapRows describe this process's Go heap after the in-process events.
func heapRows(events int) []row {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	peakHeap := m.HeapSys - m.HeapReleased
	runtime.GC()
	runtime.ReadMemStats(&m)
	label := fmt.Sprintf("in-process Go heap after %d events", events)
	rows := []row{
		{figure: label + ": live after GC", result: mib(m.HeapAlloc)},
		{figure: label + ": obtained from the OS (peak bound)", result: mib(peakHeap)},
	}
	if hwm, err := vmHWM(os.Getpid()); err == nil {
		rows = append(rows, row{figure: "benchmark process peak RSS (VmHWM; SDK, engine and bare clients)", result: mib(hwm)})
	}
	return rows
}

// vmHWM reads a process's peak resident set size.
func vmHWM(pid int) (uint64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("pid %d: no VmHWM in its status", pid)
}

// childRunning finds the pid of this process's child running bin: testkit
// does not say which pid its Function has, and the parent check tells our
// bootstrap from any other run of the same file on the machine.
func childRunning(bin string) (int, error) {
	want, err := filepath.Abs(bin)
	if err != nil {
		return 0, err
	}
	self := os.Getpid()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil || strings.TrimSuffix(exe, " (deleted)") != want {
			continue
		}
		if ppid, err := parentOf(pid); err == nil && ppid == self {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no child process of this one runs %s", want)
}

func parentOf(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	i := strings.LastIndexByte(string(b), ')')
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 2 {
		return 0, fmt.Errorf("pid %d: short stat", pid)
	}
	return strconv.Atoi(fields[1])
}
