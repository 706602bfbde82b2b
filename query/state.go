package query

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/circl-pdns/circl-pdns/query/cache"
	"github.com/circl-pdns/circl-pdns/query/pdns"
)

// State remembers, for a watchlist run from cron, which records each
// indicator's earlier --new runs printed, so that a run prints only what is
// new. One file an indicator and server, in Dir (0700; files 0600):
//
//	{"indicator": "example.com", "server": "https://www.circl.lu/pdns/query", "seen": ["9f86d081884c7d65", ...]}
//
// holding a 64-bit hash of each record printed (rrname, rrtype, rdata),
// never a credential. A query's records are added only once it succeeded,
// under a lock, merged with what another run may have added meanwhile:
// nothing is lost, and a failed or interrupted query leaves the state as it
// was, so the next run prints what this one missed.
type State struct {
	Dir string
	// Server names the source of the answers (without credentials): the
	// same indicator asked of another server has its own state.
	Server string
	// Baseline records what passes the selection as seen, and prints
	// nothing: a new watchlist does not flood its first mail.
	Baseline bool
}

// watch is one indicator's state during a query.
type watch struct {
	state   *State
	path    string
	ind     string
	seen    map[uint64]bool
	printed []uint64
}

var stateFileRE = regexp.MustCompile(`^[^/]+\.[0-9a-f]{16}\.seen\.json$`)

// Check makes the state directory (0700) if it is missing, and refuses one
// that others can write to.
func (s *State) Check() error { return cache.PrivateDir(s.Dir, "state directory", "a watch state") }

func (s *State) path(ind string) string {
	return filepath.Join(s.Dir, cache.FileName(s.Server, ind, ".seen.json"))
}

type stateFile struct {
	Indicator string   `json:"indicator"`
	Server    string   `json:"server"`
	Seen      []string `json:"seen"`
}

// open reads what earlier runs printed for ind.
func (s *State) open(ind pdns.Indicator) (*watch, error) {
	w := &watch{state: s, path: s.path(ind.Value), ind: ind.Value, seen: map[uint64]bool{}}
	if err := w.read(w.seen); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *watch) read(into map[uint64]bool) error {
	b, err := os.ReadFile(w.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	var f stateFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("state: %s: %w", w.path, err)
	}
	// what we wrote, and nothing else: an empty object (or null) would
	// make every record new again
	if f.Indicator != w.ind || f.Server != w.state.Server || f.Seen == nil {
		return fmt.Errorf("state: %s: not the state this command wrote for %s (it holds indicator %s, server %s, and %d seen): remove it to start again", w.path, w.ind, pdns.Quote(f.Indicator, 80), pdns.Quote(f.Server, 80), len(f.Seen))
	}
	for _, h := range f.Seen {
		n, err := strconv.ParseUint(h, 16, 64)
		if err != nil {
			return fmt.Errorf("state: %s: %q is not a record hash", w.path, h)
		}
		into[n] = true
	}
	return nil
}

// recordHash is the same for the same record in every run.
func recordHash(r *pdns.Record) uint64 {
	h := fnv.New64a()
	h.Write([]byte(r.RRName))
	h.Write([]byte{0})
	h.Write([]byte(r.RRType))
	for _, v := range r.RData {
		h.Write([]byte{0})
		h.Write([]byte(v))
	}
	return h.Sum64()
}

// Seen says whether r was printed by an earlier run (or by this one), and
// gives the key to Mark it with once it is printed.
func (w *watch) Seen(r *pdns.Record) (key uint64, seen bool) {
	k := recordHash(r)
	return k, w.seen[k]
}

// Mark records a record as printed by this run.
func (w *watch) Mark(key uint64) {
	if !w.seen[key] {
		w.seen[key] = true
		w.printed = append(w.printed, key)
	}
}

// Printed is how many records this run printed.
func (w *watch) Printed() int { return len(w.printed) }

// Commit adds what this run printed to the state, merged, under a lock,
// with what another run may have added; the file is replaced whole. It is
// written even when nothing is new, so that its time says when the
// indicator was last asked (--state-prune).
func (w *watch) Commit() error {
	unlock, err := cache.Lock(w.state.Dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer unlock()
	all := map[uint64]bool{}
	if err := w.read(all); err != nil {
		return err
	}
	for _, k := range w.printed {
		all[k] = true
	}
	keys := make([]uint64, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	f := stateFile{Indicator: w.ind, Server: w.state.Server, Seen: make([]string, len(keys))}
	var buf [8]byte
	for i, k := range keys {
		binary.BigEndian.PutUint64(buf[:], k)
		f.Seen[i] = hex.EncodeToString(buf[:])
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	tmp, err := cache.CreateAtomic(w.state.Dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer tmp.Discard()
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Commit(w.path); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

// Prune forgets the indicators not asked for longer than age (their
// files); it says how many.
func (s *State) Prune(age time.Duration) (int, error) {
	return cache.Prune(s.Dir, age, stateFileRE.MatchString)
}
