// The restapi provider's fakeserver (github.com/Mastercard/terraform-provider-restapi
// v1.20.0, package fakeserver) as a benchmark contender. Like the upstream
// fakeservercli, plus two things a benchmark needs:
//   - -seed FILE: objects to serve from the start (a JSON object {id: object});
//   - one mutex around the handler: upstream keeps objects in a plain Go map,
//     so concurrent writes (Terraform's default parallelism of 10) can abort
//     the process with "concurrent map writes". Uncontended, it costs nanoseconds.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sync"

	fakeserver "github.com/Mastercard/terraform-provider-restapi/fakeserver"
)

func main() {
	port := flag.Int("port", 8080, "port to listen on (127.0.0.1 only)")
	seed := flag.String("seed", "", "JSON file {id: object} of objects to start with")
	flag.Parse()

	objects := make(map[string]map[string]interface{})
	if *seed != "" {
		raw, err := os.ReadFile(*seed)
		if err == nil {
			err = json.Unmarshal(raw, &objects)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "fakeserver: seed %s: %v\n", *seed, err)
			os.Exit(2)
		}
	}
	server := fakeserver.NewFakeServer(*port, objects, false, false, "").GetServer()
	var mu sync.Mutex
	inner := server.Handler
	server.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		inner.ServeHTTP(w, r)
	})
	fmt.Printf("fakeserver: listening on %s\n", server.Addr)
	if err := server.ListenAndServe(); err != nil {
		fmt.Fprintf(os.Stderr, "fakeserver: %v\n", err)
		os.Exit(1)
	}
}
