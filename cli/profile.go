package cli

import (
	"os"
	"runtime/pprof"
)

// profile writes a CPU profile of the run to the file named by
// $CIRCL_PDNS_CPUPROFILE, if set (for `go tool pprof`; see
// docs/performance.md). It returns what stops it.
func profile() (stop func()) {
	path := os.Getenv("CIRCL_PDNS_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
