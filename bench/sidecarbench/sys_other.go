//go:build !linux

package main

import (
	"os/exec"
	"time"
)

// lockPacer does nothing outside Linux.
func lockPacer() {}

// sleepUntil sleeps until t with the Go runtime's timer.
func sleepUntil(t time.Time) { time.Sleep(time.Until(t)) }

// dieWithParent does nothing outside Linux.
func dieWithParent(*exec.Cmd) {}
