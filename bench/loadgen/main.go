// loadgen sends an open-loop HTTP GET load at a fixed rate to one base URL and prints the
// latency distribution as JSON. Each request has a scheduled start; its latency counts from
// that schedule, so a slow server cannot hide queueing (no coordinated omission).
// Only the standard library: it builds offline. Used by bench/lookup.py.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8000", "base URL (loopback only)")
	pathsFile := flag.String("paths", "", "file with one request path per line")
	rate := flag.Float64("rate", 1000, "requests per second")
	seconds := flag.Float64("seconds", 30, "duration")
	// One header sent with every request, "Name: value" (the API key's Authorization).
	header := flag.String("header", "", "a header for every request, as Name: value")
	flag.Parse()

	f, err := os.Open(*pathsFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var paths []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			paths = append(paths, line)
		}
	}
	f.Close()
	if len(paths) == 0 {
		fmt.Fprintln(os.Stderr, "no paths")
		os.Exit(2)
	}

	var headerName, headerValue string
	if *header != "" {
		name, value, ok := strings.Cut(*header, ":")
		if !ok {
			fmt.Fprintln(os.Stderr, "-header: expected Name: value")
			os.Exit(2)
		}
		headerName, headerValue = strings.TrimSpace(name), strings.TrimSpace(value)
	}

	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
	}
	total := int(*rate * *seconds)
	latencies := make([]float64, total)
	statuses := make([]int, total)
	interval := time.Duration(float64(time.Second) / *rate)
	start := time.Now().Add(100 * time.Millisecond)
	var wg sync.WaitGroup
	for i := 0; i < total; i++ {
		scheduled := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(scheduled))
		wg.Add(1)
		go func(i int, scheduled time.Time) {
			defer wg.Done()
			req, err := http.NewRequest("GET", *base+paths[i%len(paths)], nil)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			if headerName != "" {
				req.Header.Set(headerName, headerValue)
			}
			resp, err := client.Do(req)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			}
			latencies[i] = float64(time.Since(scheduled).Microseconds()) / 1000.0
		}(i, scheduled)
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	sorted := append([]float64(nil), latencies...)
	sort.Float64s(sorted)
	pct := func(p float64) float64 { return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))] }
	counts := map[string]int{}
	for _, s := range statuses {
		counts[fmt.Sprint(s)]++
	}
	out, _ := json.Marshal(map[string]any{
		"requests": total, "seconds": elapsed, "achieved_rps": float64(total) / elapsed,
		"p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99), "max_ms": sorted[len(sorted)-1],
		"statuses": counts,
	})
	fmt.Println(string(out))
}
