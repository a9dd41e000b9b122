package bench

import (
	"strings"
	"testing"
	"time"
)

func TestLogLinesSize(t *testing.T) {
	lines := LogLines(time.Unix(0, 0), "app", 1<<20)
	var n int
	errs := 0
	for _, l := range lines {
		n += len(l.Text) + 44
		if strings.HasPrefix(l.Text, "E") {
			errs++
		}
	}
	if n < 1<<20 || n > 1<<20+200 {
		t.Errorf("%d bytes for 1 MiB", n)
	}
	if errs != len(lines)/50 {
		t.Errorf("%d error lines in %d", errs, len(lines))
	}
}

func TestTableAndRatios(t *testing.T) {
	run := func(s float64) Run {
		return Run{Wall: time.Duration(s * float64(time.Second)), MaxRSS: 100 << 20, Bytes: 1 << 30}
	}
	res := &Results{Workload: Size{Pods: 300, LogBytes: 2 << 20}, Reps: 3, KubeletProtocol: "http/1.1", Collect: []Result{
		{Name: "seed-style kubectl script", Runs: []Run{run(190), run(200), run(192)}},
		{Name: "kubectl cluster-info dump", Runs: []Run{run(60), run(62)}},
		{Name: "raw limit", Runs: []Run{run(50), run(54), run(52)}},
		{Name: "ci-report collect, equal work", Runs: []Run{run(60), {Err: "boom"}, run(64)}},
	}}
	var b strings.Builder
	res.Write(&b)
	out := b.String()
	for _, want := range []string{"| seed-style kubectl script | 192.0 s | 190.0 s–200.0 s | 100 MiB | 1024 MiB |",
		"collect at equal work ÷ raw limit = 1.19×", "seed-style script ÷ collect = 3.10×", "(1 failed: boom)", "800 container logs", "served by kwok over HTTP/1.1"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}
