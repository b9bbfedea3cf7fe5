// testsvc is the tiny HTTP workload the end-to-end tests run: it answers /healthz (and can be told to
// fail), reports who it is, and checks that it can reach its peers. Static, no dependencies.
//
//	PORT          listen port (default 8080)
//	FAIL_HEALTH   when "1", /healthz answers 503 (a rollout that never becomes healthy)
//	EXIT_AFTER    when set (a Go duration), the process exits with status 1 after it (a crash loop)
//	TOPO_*        set by Topo: TOPO_TOPOLOGY, TOPO_NODE, TOPO_PEERS (comma-separated host:port)
//
// `testsvc get URL` is a client instead: one GET, with the pod's service account token and CA when it has
// them (as an in-cluster client does), the body on stdout, exit status 1 on an error or a status >= 400.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

func main() {
	if len(os.Args) == 3 && os.Args[1] == "get" {
		os.Exit(get(os.Args[2]))
	}
	port := env("PORT", "8080")
	if d, err := time.ParseDuration(os.Getenv("EXIT_AFTER")); err == nil && d > 0 {
		go func() { time.Sleep(d); fmt.Fprintln(os.Stderr, "testsvc: exiting as told by EXIT_AFTER"); os.Exit(1) }()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if os.Getenv("FAIL_HEALTH") == "1" {
			http.Error(w, "unhealthy (FAIL_HEALTH=1)", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/peers", func(w http.ResponseWriter, _ *http.Request) {
		result := map[string]string{}
		for _, peer := range peers() {
			conn, err := net.DialTimeout("tcp", peer, 2*time.Second)
			if err != nil {
				result[peer] = err.Error()
				continue
			}
			conn.Close()
			result[peer] = "ok"
		}
		writeJSON(w, result)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"topology": os.Getenv("TOPO_TOPOLOGY"), "node": os.Getenv("TOPO_NODE"), "peers": peers()})
	})
	fmt.Fprintf(os.Stderr, "testsvc: listening on :%s\n", port)
	if err := http.ListenAndServe(":"+port, mux); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func peers() []string {
	out := []string{}
	for _, p := range strings.Split(os.Getenv("TOPO_PEERS"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

const serviceAccount = "/var/run/secrets/kubernetes.io/serviceaccount"

func get(url string) int {
	tlsConfig := &tls.Config{}
	if ca, err := os.ReadFile(serviceAccount + "/ca.crt"); err == nil {
		tlsConfig.RootCAs = x509.NewCertPool()
		tlsConfig.RootCAs.AppendCertsFromPEM(ca)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if token, err := os.ReadFile(serviceAccount + "/token"); err == nil {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	}
	res, err := client.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer res.Body.Close()
	_, _ = io.Copy(os.Stdout, res.Body)
	if res.StatusCode >= 400 {
		fmt.Fprintf(os.Stderr, "testsvc get: %s\n", res.Status)
		return 1
	}
	return 0
}
