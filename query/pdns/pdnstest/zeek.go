package pdnstest

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
)

// ZeekHeader is the header of a Zeek 6 dns.log, opened at open.
func ZeekHeader(open string) string {
	fields := "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qclass qclass_name qtype qtype_name rcode rcode_name AA TC RD RA Z answers TTLs rejected"
	types := "time string addr port addr port enum count interval string count string count string count string bool bool bool bool count vector[string] vector[interval] bool"
	return "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n#open\t" + open + "\n" +
		"#fields\t" + strings.ReplaceAll(fields, " ", "\t") + "\n#types\t" + strings.ReplaceAll(types, " ", "\t") + "\n"
}

// ZeekLog writes a Zeek dns.log of lines queries (a header, then one line
// each, about 190 bytes, as a busy resolver's), for benchmarks and for
// the tests of big logs. Its names come from a pool of names names; one
// query in four goes through a CNAME, one in ten is for an AAAA, one in
// twenty is NXDOMAIN, and the times go on a second every hundred lines
// from start. The same arguments give the same log.
func ZeekLog(w io.Writer, lines, names int, start int64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	r := rand.New(rand.NewPCG(uint64(lines), uint64(names)))
	bw.WriteString(ZeekHeader("2025-12-01-00-00-00"))
	for i := range lines {
		n := r.IntN(names)
		ts := start + int64(i/100)
		uid := fmt.Sprintf("C%016x", r.Uint64())
		client := fmt.Sprintf("10.%d.%d.%d", n%7, i%251, i%13+1)
		name := fmt.Sprintf("host%d.zone%d.example.com", n, n%97)
		qtype, qtypeName, rcode, rcodeName := 1, "A", "0", "NOERROR"
		answers, ttls := fmt.Sprintf("192.0.%d.%d,192.0.%d.%d", n%256, n/256%256, n%256, (n/256+1)%256), "300.000000,300.000000"
		switch {
		case n%20 == 0:
			rcode, rcodeName, answers, ttls = "3", "NXDOMAIN", "-", "-"
		case n%10 == 1:
			qtype, qtypeName = 28, "AAAA"
			answers, ttls = fmt.Sprintf("2001:db8:%x::%x", n%65536, n/65536+1), "300.000000"
		case n%4 == 2:
			answers = fmt.Sprintf("cdn%d.edge.example.net,", n%500) + answers
			ttls = "60.000000," + ttls
		}
		fmt.Fprintf(bw, "%d.%06d\t%s\t%s\t%d\t10.0.0.1\t53\tudp\t%d\t0.%06d\t%s\t1\tC_INTERNET\t%d\t%s\t%s\t%s\tF\tF\tT\tT\t0\t%s\t%s\tF\n",
			ts, i%1000000, uid, client, 1024+i%60000, i%65536, r.IntN(100000), name, qtype, qtypeName, rcode, rcodeName, answers, ttls)
	}
	bw.WriteString("#close\t2025-12-02-00-00-00\n")
	return bw.Flush()
}
