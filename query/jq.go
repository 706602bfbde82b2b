package query

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/itchyny/gojq"

	"github.com/circl-pdns/circl-pdns/query/pdns"
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

// CompileJQ compiles src once for the whole run. The program sees environ
// (the environment, as os.Environ gives it) as $ENV and env; nil gives it
// an empty one. What to hide from it is the caller's to say.
func CompileJQ(src string, vars []Var, environ func() []string) (*Program, error) {
	q, err := gojq.Parse(src)
	if err != nil {
		return nil, jqSyntaxError(src, err)
	}
	names := make([]string, len(vars))
	values := make([]any, len(vars))
	for i, v := range vars {
		names[i], values[i] = "$"+v.Name, v.Value
	}
	if environ == nil {
		environ = func() []string { return nil }
	}
	code, err := gojq.Compile(q, gojq.WithVariables(names), gojq.WithEnvironLoader(environ))
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
func (e *JQCompileError) Failure() pdns.Failure { return pdns.Usage }

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

func (e *JQError) Error() string         { return e.Indicator + ": jq: " + e.Err.Error() }
func (e *JQError) Failure() pdns.Failure { return pdns.JQFailed }

// HaltError is jq's halt or halt_error: the run stops with Code; Message,
// if any, is for standard error.
type HaltError struct {
	Code    int
	Message string
}

func (e *HaltError) Error() string         { return e.Message }
func (e *HaltError) Failure() pdns.Failure { return pdns.Halted(e.Code) }

func (p *Program) run(ctx context.Context, ind pdns.Indicator, r *pdns.Record, out emitter) error {
	in := pdns.Input(ind, r)
	id := mapID(in)
	return p.exec(ctx, ind, in, func(m uintptr) *pdns.Record {
		if m == id {
			return r
		}
		return nil
	}, out)
}

// runAll runs the program once on the array of an indicator's records.
func (p *Program) runAll(ctx context.Context, ind pdns.Indicator, rs []pdns.Record, out emitter) error {
	all := make([]any, len(rs))
	index := make(map[uintptr]int, len(rs))
	for i := range rs {
		m := pdns.Input(ind, &rs[i])
		all[i], index[mapID(m)] = m, i
	}
	return p.exec(ctx, ind, all, func(m uintptr) *pdns.Record {
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
func (p *Program) exec(ctx context.Context, ind pdns.Indicator, input any, inputRecord func(uintptr) *pdns.Record, out emitter) error {
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

// recordFromValue turns a jq output back into a record, for the formats
// that need one: it must be an object with rrname, rrtype and rdata.
func recordFromValue(v any) (pdns.Record, error) {
	b, err := gojq.Marshal(v)
	if err != nil {
		return pdns.Record{}, err
	}
	if _, ok := v.(map[string]any); !ok {
		return pdns.Record{}, fmt.Errorf("output %s is not a record (an object with rrname, rrtype and rdata)", jsonText(b))
	}
	r, err := pdns.DecodeRecord(b)
	if err != nil {
		return pdns.Record{}, fmt.Errorf("output %s is not a record (%v)", jsonText(b), err)
	}
	return r, nil
}

// jsonText shows JSON in a message: as it is when it is short and
// printable, quoted and escaped otherwise.
func jsonText(b []byte) string {
	s := string(b)
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return pdns.Quote(s, 80)
		}
	}
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
