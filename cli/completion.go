package cli

import (
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"

	"github.com/circl-pdns/circl-pdns/query"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// completeFromShell answers a shell's request for completions (the shell
// runs the command with COMP_LINE set, as the scripts of --completion
// tell it to), from the kong grammar: flags, the values of -o, -t and
// --sort, file names for --source, --config and --password-file. Without
// COMP_LINE it does nothing.
func completeFromShell(parser *kong.Kong) {
	sortKeys := []string{}
	for _, k := range query.SortKeys() {
		sortKeys = append(sortKeys, k, "-"+k)
	}
	kongplete.Complete(parser,
		kongplete.WithPredictor("file", complete.PredictFiles("*")),
		kongplete.WithPredictor("rrtype", complete.PredictSet(pdns.TypeNames()...)),
		kongplete.WithPredictor("sort", complete.PredictSet(sortKeys...)),
		kongplete.WithPredictor("format", complete.PredictSet(append([]string{"auto"}, pdns.LogFormatNames()...)...)),
		kongplete.WithPredictor("shell", complete.PredictSet(slices.Sorted(maps.Keys(completionScripts))...)),
		kongplete.WithExitFunc(func(code int) { panic(exitRequest(code)) }),
	)
}

// completionScripts set a shell up to ask circl-pdns for completions;
// ${bin} is the command's path.
var completionScripts = map[string]string{
	"bash": "complete -o default -C '${bin}' circl-pdns\n",
	"zsh": `autoload -U +X bashcompinit && bashcompinit
complete -o default -C '${bin}' circl-pdns
`,
	"fish": `function __complete_circl_pdns
    set -lx COMP_LINE (commandline -cp)
    test -z (commandline -ct)
    and set COMP_LINE "$COMP_LINE "
    '${bin}'
end
complete -f -c circl-pdns -a "(__complete_circl_pdns)"
`,
}

// printCompletion is --completion SHELL.
func printCompletion(w io.Writer, shell string) error {
	script, ok := completionScripts[shell]
	if !ok {
		shells := slices.Sorted(func(yield func(string) bool) {
			for k := range completionScripts {
				if !yield(k) {
					return
				}
			}
		})
		return fmt.Errorf("--completion %s: want one of %s", pdns.Quote(shell, 20), strings.Join(shells, ", "))
	}
	_, err := io.WriteString(w, strings.ReplaceAll(script, "${bin}", self()))
	return err
}

// self is the name the shell should run this command by: circl-pdns when
// that is this command on the PATH (installed: the script goes on working
// when it moves or is upgraded), or else the path it was run by (a build
// in a clone), made absolute.
func self() string {
	name := os.Args[0]
	if !strings.ContainsRune(name, filepath.Separator) {
		if p, err := exec.LookPath(name); err == nil {
			name = p
		}
	}
	abs, err := filepath.Abs(name)
	if err != nil {
		return name
	}
	if onPath, err := exec.LookPath("circl-pdns"); err == nil && sameFile(onPath, abs) {
		return "circl-pdns"
	}
	return abs
}

func sameFile(a, b string) bool {
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}
