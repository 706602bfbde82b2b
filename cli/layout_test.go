package cli_test

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/circl-pdns/circl-pdns"

// allowed are the packages of the module each package may import (docs/
// design.md draws them): imports point one way, from cli down to pdns.
var allowed = map[string][]string{
	".":                                {"cli"}, // main
	"cli":                              {"query", "query/pdns", "query/circl", "query/store", "query/cache", "output"},
	"output":                           {"query/pdns"},
	"query":                            {"query/pdns", "query/cache"},
	"query/cache":                      {"query/pdns"},
	"query/circl":                      {"query/pdns"},
	"query/circl/circltest":            {"query/circl", "query/pdns"},
	"query/circl/circltest/fakeserver": {"query/circl/circltest"},
	"query/store":                      {"query/pdns", "query/cache"},
	"query/pdns":                       {},
	"query/pdns/pdnstest":              {"query/pdns"},
}

// linkers are what only some packages may link, even through others: an
// HTTP client (the service's; ClickHouse's HTTP interface, the store's
// database), a database.
var linkers = map[string][]string{
	"net/http":           {".", "cli", "query/circl", "query/circl/circltest", "query/circl/circltest/fakeserver", "query/store"},
	"database/sql":       {".", "cli", "query/store"},
	"modernc.org/sqlite": {".", "cli", "query/store"},
}

type listed struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// TestLayout fails when a package imports one of the module it may not
// (upward, or sideways), when a package not in the table appears, or when
// output, the engine or pdns links an HTTP client or a database driver.
func TestLayout(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := map[string]bool{}
	for {
		var p listed
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		if name == "" {
			name = "."
		}
		seen[name] = true
		may, known := allowed[name]
		if !known {
			t.Errorf("%s: a package the layout does not know: add it to docs/design.md and to this test", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if rel, ours := strings.CutPrefix(imp, module+"/"); ours && !slices.Contains(may, rel) {
				t.Errorf("%s imports %s, which it may not (it may import %s)", p.ImportPath, imp, strings.Join(may, ", "))
			}
		}
		for _, dep := range p.Deps {
			if who, ok := linkers[dep]; ok && !slices.Contains(who, name) {
				t.Errorf("%s links %s, which only %s may", p.ImportPath, dep, strings.Join(who, ", "))
			}
		}
	}
	for name := range allowed {
		if !seen[name] {
			t.Errorf("%s/%s: in the layout, but not in the module", module, name)
		}
	}
}
