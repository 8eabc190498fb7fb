// Command soakplot reads the CSV that scripts/soak.sh writes, prints a
// summary per process (first, last and largest RSS, goroutines, heap, mean
// CPU) with the verdict on the soak's limits, and draws the series into a
// PNG.
//
//	go run ./internal/soakplot -in soak.csv -out soak.png
//
// It exits 1 when a process grew by more than -max-rss-growth after
// -warmup, or when its goroutine count moved after -warmup.
package main

import (
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
)

// sample is one row of the CSV: one process at one moment.
type sample struct {
	elapsed    float64 // seconds since the soak started
	rssMB      float64 // MiB
	cpuPct     float64 // % of one core over the last interval
	goroutines float64
	heapMB     float64 // Go heap in use (HeapInuse), MiB
	fileMB     float64 // the part of RSS that maps files (shared libraries' pages), MiB; -1 if not recorded
}

// series is every sample of one process, in time order.
type series struct {
	mode    string
	samples []sample
}

// columns are the CSV's header, in order. CSVs from before rss_file_kb
// was added lack its column.
var columns = []string{"mode", "elapsed_s", "rss_kb", "cpu_pct", "goroutines", "heap_alloc_bytes", "heap_inuse_bytes", "sys_bytes", "rss_file_kb"}

func main() {
	in := flag.String("in", "soak.csv", "the CSV written by scripts/soak.sh")
	out := flag.String("out", "soak.png", "the PNG to draw")
	warmup := flag.Float64("warmup", 60, "`seconds` at the start that the limits leave out")
	maxGrowth := flag.Float64("max-rss-growth", 5, "largest RSS growth after the warm-up, in `MiB`")
	flag.Parse()
	f, err := os.Open(*in)
	if err != nil {
		fatal(err)
	}
	all, err := readCSV(f)
	f.Close()
	if err != nil {
		fatal(fmt.Errorf("%s: %w", *in, err))
	}
	if err := drawPNG(*out, all); err != nil {
		fatal(err)
	}
	ok := true
	for _, s := range all {
		ok = summarize(os.Stdout, s, *warmup, *maxGrowth) && ok
	}
	fmt.Printf("plot: %s\n", *out)
	if !ok {
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintf(os.Stderr, "soakplot: %v\n", err)
	os.Exit(2)
}

// readCSV reads the soak CSV into one series per mode, in the order the
// modes first appear.
func readCSV(r io.Reader) ([]series, error) {
	rows, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(rows) < 2 || !slices.Equal(rows[0], columns) && !slices.Equal(rows[0], columns[:len(columns)-1]) {
		return nil, errors.New("no samples, or not the header soak.sh writes")
	}
	var out []series
	index := map[string]int{}
	for n, row := range rows[1:] {
		var v [8]float64
		v[7] = -1
		for i := range min(len(v), len(row)-1) {
			if row[i+1] == "" {
				v[i] = -1 // not measured (the process was not answering)
				continue
			}
			if v[i], err = strconv.ParseFloat(row[i+1], 64); err != nil {
				return nil, fmt.Errorf("row %d: %w", n+2, err)
			}
		}
		i, seen := index[row[0]]
		if !seen {
			i = len(out)
			index[row[0]] = i
			out = append(out, series{mode: row[0]})
		}
		heap := v[5] / (1 << 20)
		if v[5] < 0 {
			heap = -1
		}
		file := v[7] / 1024
		if v[7] < 0 {
			file = -1
		}
		out[i].samples = append(out[i].samples, sample{elapsed: v[0], rssMB: v[1] / 1024, cpuPct: v[2], goroutines: v[3], heapMB: heap, fileMB: file})
	}
	return out, nil
}

// summarize prints one process's figures and reports whether it kept to
// the limits: RSS growth after the warm-up at most maxGrowth MiB, and the
// same goroutine count throughout after it.
func summarize(w io.Writer, s series, warmup, maxGrowth float64) bool {
	first, last := s.samples[0], s.samples[len(s.samples)-1]
	var after []sample
	for _, p := range s.samples {
		if p.elapsed >= warmup {
			after = append(after, p)
		}
	}
	// stat leaves out what was not measured (negative).
	stat := func(get func(sample) float64, from []sample) (lo, hi, mean float64) {
		lo, hi, n := -1.0, -1.0, 0
		for _, p := range from {
			v := get(p)
			if v < 0 {
				continue
			}
			if n == 0 {
				lo, hi = v, v
			}
			lo, hi, mean, n = min(lo, v), max(hi, v), mean+v, n+1
		}
		if n == 0 {
			return -1, -1, -1
		}
		return lo, hi, mean / float64(n)
	}
	rss := func(p sample) float64 { return p.rssMB }
	gor := func(p sample) float64 { return p.goroutines }
	heap := func(p sample) float64 { return p.heapMB }
	cpu := func(p sample) float64 { return p.cpuPct }
	_, rssMax, _ := stat(rss, s.samples)
	_, heapMax, _ := stat(heap, s.samples)
	_, _, cpuMean := stat(cpu, s.samples)
	fmt.Fprintf(w, "%s: %d samples over %.0f s; mean CPU %.1f%% of a core\n", s.mode, len(s.samples), last.elapsed, cpuMean)
	fmt.Fprintf(w, "  RSS MiB: first %.1f, last %.1f, max %.1f\n", first.rssMB, last.rssMB, rssMax)
	fmt.Fprintf(w, "  heap in use MiB: first %.1f, last %.1f, max %.1f\n", first.heapMB, last.heapMB, heapMax)
	if len(after) < 2 {
		fmt.Fprintf(w, "  goroutines: first %.0f, last %.0f\n  too short to judge growth after the %.0f s warm-up\n", first.goroutines, last.goroutines, warmup)
		return false
	}
	gLo, gHi, _ := stat(gor, after)
	_, rssHi, _ := stat(rss, after)
	growth := rssHi - after[0].rssMB
	fmt.Fprintf(w, "  goroutines: first %.0f, last %.0f; after %.0f s between %.0f and %.0f\n", first.goroutines, last.goroutines, warmup, gLo, gHi)
	fmt.Fprintf(w, "  RSS after %.0f s: %.1f MiB, at most %.1f MiB (growth %.1f MiB, limit %.1f)\n", warmup, after[0].rssMB, rssHi, growth, maxGrowth)
	if f0 := after[0].fileMB; f0 >= 0 {
		_, fileHi, _ := stat(func(p sample) float64 { return p.fileMB }, after)
		_, anonHi, _ := stat(func(p sample) float64 {
			if p.fileMB < 0 || p.rssMB < 0 {
				return -1
			}
			return p.rssMB - p.fileMB
		}, after)
		fmt.Fprintf(w, "    of which files mapped (shared libraries' pages): %.1f MiB, at most %.1f (growth %.1f); the rest: %.1f MiB, at most %.1f (growth %.1f)\n",
			f0, fileHi, fileHi-f0, after[0].rssMB-f0, anonHi, anonHi-(after[0].rssMB-f0))
	}
	// A leak keeps growing; warming up (code pages touched, the heap
	// reaching its working size) stops: the second half tells them apart.
	mid := after[len(after)/2]
	_, rss2, _ := stat(rss, after[len(after)/2:])
	fmt.Fprintf(w, "  RSS over the second half (from %.0f s): %.1f MiB, at most %.1f MiB (growth %.1f MiB)\n", mid.elapsed, mid.rssMB, rss2, rss2-mid.rssMB)
	ok := growth <= maxGrowth && gLo == gHi && gLo >= 0
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "  %s: RSS growth %.1f MiB ≤ %.1f, goroutines flat: %v\n", verdict, growth, maxGrowth, gLo == gHi)
	return ok
}
