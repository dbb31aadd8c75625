package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel stop the simulator if the benchmark dies without stopping it (a killed go test),
// so no simulator is left listening.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
