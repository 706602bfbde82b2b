package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at build time with
// -ldflags "-X github.com/circl-pdns/circl-pdns/cli.version=v1.2.3";
// otherwise the module version from the build info is used.
var version = ""

// Version returns the version of this build.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// printVersion is --version: one line, "circl-pdns v1.2.3 (abc1234, go1.26.0)";
// with -v, then the Go build information (as "go version -m" prints it).
func printVersion(w io.Writer, verbose bool) {
	bi, ok := debug.ReadBuildInfo()
	commit := "unknown commit"
	if ok {
		var rev string
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if rev != "" {
			commit = rev[:min(7, len(rev))]
			if dirty {
				commit += "+changes"
			}
		}
	}
	fmt.Fprintf(w, "circl-pdns %s (%s, %s)\n", Version(), commit, runtime.Version())
	if verbose && ok {
		fmt.Fprint(w, bi.String())
	}
}
