package testenv

import "syscall"

const processSupported = true

// sysProcAttr puts the child in a process group of its own, so that its
// children (gunicorn's workers) can be killed together, and sends it SIGTERM
// when the test binary dies without running its cleanups (a -timeout panic):
// gunicorn's master then stops its workers.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}

// terminate sends SIGTERM to pid alone: a master such as gunicorn's then
// stops its children itself.
func terminate(pid int) { _ = syscall.Kill(pid, syscall.SIGTERM) }

// killGroup sends SIGKILL to the process group led by pid. A group that is
// already gone is not an error.
func killGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }
