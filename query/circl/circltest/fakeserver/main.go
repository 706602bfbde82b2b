// Command fakeserver runs the fake CIRCL Passive DNS server of package
// circltest on loopback, to try circl-pdns or measure it without the
// network:
//
//	go run ./query/circl/circltest/fakeserver -load testdata/demo.ndjson -latency 20ms
//	circl-pdns --url http://127.0.0.1:8400/pdns/query www.threatq.com
//
// -gen NAME=N adds N generated A records for NAME (a busy answer), -user
// U:P or -token T make it ask for credentials, and -tls serves HTTPS with a
// self-signed certificate. -style answers as a real server does: d4
// (CIRCL's open-source server: NDJSON labelled text/html), qof, pretty (the
// ThreatQ sample's layout), array, with modifiers ,bom ,crlf ,cr ,http10.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/circl-pdns/circl-pdns/query/circl/circltest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8400", "address to listen on (loopback)")
	load := flag.String("load", "", "COF NDJSON dump to serve")
	latency := flag.Duration("latency", 0, "delay before each answer")
	user := flag.String("user", "", "require Basic auth USER:PASSWORD")
	token := flag.String("token", "", "require this Authorization header")
	style := flag.String("style", "circl", "answer in the style of a real server: circl, d4, qof, pretty, array (with ,bom ,crlf ,cr ,http10)")
	useTLS := flag.Bool("tls", false, "serve HTTPS with a self-signed certificate (circl-pdns needs --no-verify-ssl)")
	var gens []string
	flag.Func("gen", "NAME=N: serve N generated records for NAME (repeatable)", func(s string) error {
		gens = append(gens, s)
		return nil
	})
	flag.Parse()

	srv := circltest.NewServer()
	srv.Close() // the handler is what we want, on our own listener
	if *load != "" {
		f, err := os.Open(*load)
		if err != nil {
			log.Fatal(err)
		}
		if err := srv.Load(f); err != nil {
			log.Fatal(err)
		}
		f.Close()
	}
	for _, g := range gens {
		name, n, ok := strings.Cut(g, "=")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			log.Fatalf("-gen %s: want NAME=N", g)
		}
		srv.Add(name, circltest.Generate(name, count)...)
	}
	if u, p, ok := strings.Cut(*user, ":"); ok {
		srv.RequireBasicAuth(u, p)
	}
	if *token != "" {
		srv.RequireToken(*token)
	}
	srv.SetLatency(*latency)
	st, err := circltest.ParseStyle(*style)
	if err != nil {
		log.Fatalf("-style: %v", err)
	}
	srv.SetStyle(st)
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	scheme := "http"
	if *useTLS {
		scheme = "https"
		ts := httptest.NewUnstartedServer(srv.Config.Handler)
		ts.Listener.Close()
		ts.Listener = ln
		ts.StartTLS() // httptest's own self-signed certificate, for 127.0.0.1
	}
	fmt.Fprintf(os.Stderr, "fake CIRCL Passive DNS at %s://%s%s\n", scheme, ln.Addr(), strings.TrimSuffix(circltest.Path, "/"))
	if *useTLS {
		select {}
	}
	hs := &http.Server{Handler: srv.Config.Handler, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(hs.Serve(ln))
}
