package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// clockTicks returns the unit of the CPU times in /proc/PID/stat, in ticks
// per second, from getconf CLK_TCK; 100 (the value on every common Linux
// build) when getconf is missing.
func clockTicks() int64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64); err == nil && v > 0 {
			return v
		}
	}
	return 100
}

// cpuTimes is the CPU time a process has used in user and in kernel mode.
type cpuTimes struct {
	user, sys time.Duration
}

// total returns user + sys.
func (c cpuTimes) total() time.Duration { return c.user + c.sys }

// sub returns c − d.
func (c cpuTimes) sub(d cpuTimes) cpuTimes { return cpuTimes{c.user - d.user, c.sys - d.sys} }

// add returns c + d.
func (c cpuTimes) add(d cpuTimes) cpuTimes { return cpuTimes{c.user + d.user, c.sys + d.sys} }

// cpuTime returns the CPU time pid has used, from /proc/PID/stat, with a
// resolution of one clock tick (10 ms at 100 Hz).
func cpuTime(pid int, ticksPerSec int64) (cpuTimes, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return cpuTimes{}, err
	}
	user, sys, err := parseStatCPU(raw)
	if err != nil {
		return cpuTimes{}, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	tick := func(n int64) time.Duration { return time.Duration(n * int64(time.Second) / ticksPerSec) }
	return cpuTimes{tick(user), tick(sys)}, nil
}

// parseStatCPU returns utime and stime, fields 14 and 15 of a
// /proc/PID/stat line, in clock ticks. Field 2, the command name, is in
// parentheses and may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseStatCPU(stat []byte) (user, sys int64, err error) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("no command name")
	}
	f := strings.Fields(string(stat[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%d fields, want at least 15", len(f)+2)
	}
	if user, err = strconv.ParseInt(f[11], 10, 64); err == nil {
		sys, err = strconv.ParseInt(f[12], 10, 64)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cpu time: %w", err)
	}
	return user, sys, nil
}

// memory is a process's resident set size, now and at its peak.
type memory struct {
	rss, hwm int64 // bytes
}

// readMemory returns VmRSS and VmHWM from /proc/PID/status.
func readMemory(pid int) (memory, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, err
	}
	m, err := parseStatus(raw)
	if err != nil {
		return memory{}, fmt.Errorf("/proc/%d/status: %w", pid, err)
	}
	return m, nil
}

// parseStatus reads the VmRSS and VmHWM lines ("VmRSS:     1234 kB") of a
// /proc/PID/status file.
func parseStatus(status []byte) (memory, error) {
	var m memory
	found := 0
	for line := range strings.Lines(string(status)) {
		var dst *int64
		switch {
		case strings.HasPrefix(line, "VmRSS:"):
			dst = &m.rss
		case strings.HasPrefix(line, "VmHWM:"):
			dst = &m.hwm
		default:
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || f[2] != "kB" {
			return memory{}, fmt.Errorf("unexpected line %q", strings.TrimSpace(line))
		}
		kb, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return memory{}, fmt.Errorf("unexpected line %q", strings.TrimSpace(line))
		}
		*dst = kb << 10
		found++
	}
	if found != 2 {
		return memory{}, fmt.Errorf("no VmRSS or VmHWM line")
	}
	return m, nil
}
