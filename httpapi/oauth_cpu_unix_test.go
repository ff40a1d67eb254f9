//go:build unix

package httpapi

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used: the
// token benchmarks report it per request, since on a shared machine the
// wall time of a durable commit varies with everybody's disk traffic.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
