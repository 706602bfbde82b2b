package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/alecthomas/kong"
)

// version is set at build time with -ldflags "-X .../cli.version=v1.2.3";
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

// versionFlag is --version: the version, then the Go build information
// (as "go version -m" prints it).
type versionFlag bool

func (versionFlag) BeforeReset(app *kong.Kong) error {
	fmt.Fprintf(app.Stdout, "circl-pdns %s\n", Version())
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprint(app.Stdout, bi.String())
	}
	app.Exit(0)
	return nil
}
