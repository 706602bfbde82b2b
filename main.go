// Command circl-pdns asks CIRCL Passive DNS what domain names and IP
// addresses have resolved to over time. See README.md.
package main

import (
	"os"

	"github.com/circl-pdns/circl-pdns/cli"
)

func main() { os.Exit(cli.Run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
