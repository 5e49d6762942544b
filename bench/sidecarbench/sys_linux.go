package main

import (
	"os/exec"
	"runtime"
	"syscall"
	"time"
)

// prSetTimerSlack is PR_SET_TIMERSLACK from <linux/prctl.h>.
const prSetTimerSlack = 29

// lockPacer prepares the calling goroutine to pace requests with
// sleepUntil: it locks it to its OS thread, which the goroutine must then
// never unlock (the thread dies with it), and cuts that thread's timer slack
// from the default 50 µs to 1 ns.
func lockPacer() {
	runtime.LockOSThread()
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
}

// sleepUntil sleeps until t with nanosleep(2). The Go runtime's own timers
// wake through epoll_wait, whose timeout is in whole milliseconds, so
// time.Sleep of less than a millisecond typically returns 0.5 ms late: too
// coarse for a 1 ms schedule.
func sleepUntil(t time.Time) {
	for {
		d := time.Until(t)
		if d <= 0 {
			return
		}
		ts := syscall.NsecToTimespec(int64(d))
		if err := syscall.Nanosleep(&ts, nil); err != syscall.EINTR {
			return
		}
	}
}

// dieWithParent makes the kernel kill cmd's process when this one dies, so
// an interrupted bench leaves no sidecar behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
