//go:build !linux

package testenv

import "syscall"

const processSupported = false

func sysProcAttr() *syscall.SysProcAttr { return nil }

func terminate(int) {}

func killGroup(int) {}
