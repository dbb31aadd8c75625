//go:build !linux

package main

import "os/exec"

// dieWithParent is Linux-only; elsewhere a killed benchmark may leave its simulator running.
func dieWithParent(*exec.Cmd) {}
