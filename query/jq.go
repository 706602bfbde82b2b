package query

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"github.com/itchyny/gojq"
)

// Program is a compiled jq program (gojq) that runs on every record: its
// input is the record as a JSON object, with "query" in it, as jsonl prints
// it; its outputs replace the record.
type Program struct {
	code   *gojq.Code
	values []any
}

// Var is a named jq variable ($NAME), from --arg or --argjson.
type Var struct {
	Name  string
	Value any
}

// secretEnv are environment variables hidden from $ENV even with --jq-env.
var secretEnv = []string{"CIRCL_PDNS_PASSWORD=", "CIRCL_PDNS_TOKEN="}

// CompileJQ compiles src once for the whole run. With env, the program sees
// the environment as $ENV (without the credentials); otherwise $ENV is empty.
func CompileJQ(src string, vars []Var, env bool) (*Program, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, jqSyntaxError(src, err)
	}
	names := make([]string, len(vars))
	values := make([]any, len(vars))
	for i, v := range vars {
		names[i], values[i] = "$"+v.Name, v.Value
	}
	opts := []gojq.CompilerOption{gojq.WithVariables(names)}
	if env {
		opts = append(opts, gojq.WithEnvironLoader(func() []string {
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
				for _, p := range secretEnv {
					if strings.HasPrefix(kv, p) {
						return true
					}
				}
				return false
			})
			for i, kv := range env { // CIRCL_PDNS_URL, HTTPS_PROXY...: a URL may carry credentials
				k, v, _ := strings.Cut(kv, "=")
				if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.User != nil {
					u.User = nil
					env[i] = k + "=" + u.String()
				}
			}
			return env
		}))
	} else {
		opts = append(opts, gojq.WithEnvironLoader(func() []string { return nil }))
	}
	code, err := gojq.Compile(q, opts...)
	if err != nil {
		return nil, &JQCompileError{Msg: err.Error()}
	}
	return &Program{code: code, values: values}, nil
}

// JQCompileError is a jq program that cannot be compiled: a usage error.
type JQCompileError struct {
	Msg     string
	Program string // the line of the program at fault, with a caret line under it
}

func (e *JQCompileError) Error() string {
	if e.Program == "" {
		return "jq: " + e.Msg
	}
	return "jq: " + e.Msg + "\n" + e.Program
}
func (e *JQCompileError) ExitCode() int { return 2 }

// jqSyntaxError shows where in src the parser stopped: the line, and a
// caret under the offending token.
func jqSyntaxError(src string, err error) error {
	var pe *gojq.ParseError
	if !errors.As(err, &pe) {
		return &JQCompileError{Msg: err.Error()}
	}
	at := min(max(pe.Offset-len(pe.Token), 0), len(src))
	start := strings.LastIndexByte(src[:at], '\n') + 1
	end := len(src)
	if i := strings.IndexByte(src[at:], '\n'); i >= 0 {
		end = at + i
	}
	line := strings.ReplaceAll(src[start:end], "\t", " ")
	col := len([]rune(strings.ReplaceAll(src[start:at], "\t", " ")))
	return &JQCompileError{
		Msg:     "syntax error: " + err.Error(),
		Program: "    " + line + "\n    " + strings.Repeat(" ", col) + "^",
	}
}

// JQError is a jq runtime error on one record; the run goes on.
type JQError struct {
	Indicator string
	Err       error
}

func (e *JQError) Error() string { return e.Indicator + ": jq: " + e.Err.Error() }
func (e *JQError) ExitCode() int { return 1 }
func (e *JQError) Kind() string  { return "jq error" }

// HaltError is jq's halt or halt_error: the run stops with Code; Message,
// if any, is for standard error.
type HaltError struct {
	Code    int
	Message string
}

func (e *HaltError) Error() string { return e.Message }
func (e *HaltError) ExitCode() int { return e.Code }

func (p *Program) run(ctx context.Context, ind Indicator, r *Record, out Emitter) error {
	in := Input(ind, r)
	id := mapID(in)
	return p.exec(ctx, ind, in, func(m uintptr) *Record {
		if m == id {
			return r
		}
		return nil
	}, out)
}

// runAll runs the program once on the array of an indicator's records.
func (p *Program) runAll(ctx context.Context, ind Indicator, rs []Record, out Emitter) error {
	all := make([]any, len(rs))
	index := make(map[uintptr]int, len(rs))
	for i := range rs {
		m := Input(ind, &rs[i])
		all[i], index[mapID(m)] = m, i
	}
	return p.exec(ctx, ind, all, func(m uintptr) *Record {
		if i, ok := index[m]; ok {
			return &rs[i]
		}
		return nil
	}, out)
}

// mapID is the identity of a map: the pointer a map value is.
func mapID(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }

// exec runs the program on input. An output that is one of its input
// records (input says which, by mapID), not a copy (gojq never changes a
// value in place), is written as that record: as received, in the server's
// order of members, without encoding it again (select, ., .[] with -s).
func (p *Program) exec(ctx context.Context, ind Indicator, input any, inputRecord func(uintptr) *Record, out Emitter) error {
	iter := p.code.RunWithContext(ctx, input, p.values...)
	for {
		v, ok := iter.Next()
		if !ok {
			return nil
		}
		if err, ok := v.(error); ok {
			if ctx.Err() != nil {
				return ctx.Err() // interrupted, not a mistake in the program
			}
			var halt *gojq.HaltError
			if errors.As(err, &halt) {
				return haltError(halt)
			}
			return &JQError{Indicator: ind.Value, Err: err}
		}
		if m, ok := v.(map[string]any); ok {
			if r := inputRecord(mapID(m)); r != nil {
				if err := out.Record(*r); err != nil {
					return err
				}
				continue
			}
		}
		if err := out.Value(v); err != nil {
			return err
		}
	}
}

// haltError follows jq: halt stops with status 0 and says nothing;
// halt_error prints a string as it is, any other value as JSON.
func haltError(h *gojq.HaltError) error {
	e := &HaltError{Code: h.ExitCode()}
	switch v := h.Value().(type) {
	case nil:
	case string:
		e.Message = v
	default:
		b, _ := gojq.Marshal(v)
		e.Message = string(b) + "\n"
	}
	return e
}

// RecordFromValue turns a jq output back into a record, for the formats
// that need one: it must be an object with rrname, rrtype and rdata.
func RecordFromValue(v any) (Record, error) {
	b, err := gojq.Marshal(v)
	if err != nil {
		return Record{}, err
	}
	if _, ok := v.(map[string]any); !ok {
		return Record{}, fmt.Errorf("output %s is not a record (an object with rrname, rrtype and rdata)", jsonText(b))
	}
	r, err := DecodeRecord(b)
	if err != nil {
		return Record{}, fmt.Errorf("output %s is not a record (%v)", jsonText(b), err)
	}
	return r, nil
}

// jsonText shows JSON in a message: as it is when it is short and
// printable, quoted and escaped otherwise.
func jsonText(b []byte) string {
	s := string(b)
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return Quote(s, 80)
		}
	}
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
