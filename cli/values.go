package cli

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/alecthomas/kong"
)

// checkValues refuses, before anything else, a flag that takes a value and
// is given none: an empty one (--store "$STORE" with STORE unset, --url=),
// or none at the end of the line (... --sort). Left alone, an empty value
// would read as "not given", and a local store or a chosen server would be
// silently replaced by the public service. (--arg's VALUE may be empty: it
// is a jq string.)
func checkValues(app *kong.Application, args []string) error {
	long, short := map[string]*kong.Flag{}, map[string]*kong.Flag{}
	for _, f := range app.Flags {
		long["--"+f.Name] = f
		if f.Short != 0 {
			short["-"+string(f.Short)] = f
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return nil // what follows is indicators
		}
		name, value, inline := strings.Cut(a, "=")
		f := long[name]
		if f == nil && !inline {
			f = short[a]
		}
		if f == nil || f.IsBool() || f.IsCounter() {
			continue
		}
		if inline {
			if value == "" {
				return fmt.Errorf("%s was given an empty value: give it one, or leave the flag out", name)
			}
			continue
		}
		values := 1
		if f.Name == "arg" || f.Name == "argjson" {
			values = 2 // NAME VALUE
		}
		if i+values >= len(args) {
			return fmt.Errorf("%s needs %s", flagName(f), placeholder(f))
		}
		if args[i+1] == "" {
			return fmt.Errorf("%s was given an empty value: give it one, or leave the flag out", flagName(f))
		}
		if f.Name == "argjson" && args[i+2] == "" {
			return fmt.Errorf("%s %s was given an empty value: give it JSON", flagName(f), args[i+1])
		}
		i += values
	}
	return nil
}

func flagName(f *kong.Flag) string { return "--" + f.Name }

// placeholder is what a flag wants, as its help names it: "a NAME and a
// VALUE", "a value (DURATION)".
func placeholder(f *kong.Flag) string {
	switch f.Name {
	case "arg":
		return "a NAME and a VALUE"
	case "argjson":
		return "a NAME and a JSON value"
	}
	return "a value (" + f.FormatPlaceHolder() + ")"
}

// kongTypeError is kong's message for a value of the wrong type: "--limit:
// expected an int but got "abc" (string)".
var kongTypeError = regexp.MustCompile(`^(-[-\w]+): expected (?:a |an )?(?:valid )?(?:\d+ bit )?(\w+)(?: value)? but got ("(?:[^"\\]|\\.)*")(?: \(.*\))?$`)

// kongEnumError is kong's message for a value not among a flag's: "--output
// must be one of "auto","jsonl"... but got "nope"".
var kongEnumError = regexp.MustCompile(`^(-[-\w]+) must be one of (.*) but got ("(?:[^"\\]|\\.)*")$`)

// kongUnknownShort is kong's message for an unknown short flag, which
// lists every short flag as a suggestion.
var kongUnknownShort = regexp.MustCompile(`^unknown flag (-\w), did you mean one of .*\?$`)

// sentence rewrites kong's parse messages that do not read as sentences.
func sentence(msg string) string {
	if m := kongTypeError.FindStringSubmatch(msg); m != nil {
		want := map[string]string{"int": "a whole number", "float": "a number", "float64": "a number", "bool": "true or false", "string": "a text"}[m[2]]
		if want == "" {
			want = m[2]
		}
		return fmt.Sprintf("%s: %s is not %s", m[1], m[3], want)
	}
	if m := kongEnumError.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("%s: %s is not one of %s", m[1], m[3], strings.ReplaceAll(strings.ReplaceAll(m[2], `"`, ""), ",", ", "))
	}
	if m := kongUnknownShort.FindStringSubmatch(msg); m != nil {
		return "unknown flag " + m[1]
	}
	return msg
}
