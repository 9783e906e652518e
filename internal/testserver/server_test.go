package testserver

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestStartedNeedsAnAnswer: a listener that takes connections and drops
// them (Caddy closing down after a store refused its root) is not a
// started server; an HTTP answer other than the store's 503 is.
func TestStartedNeedsAnAnswer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := started(ctx, ln.Addr().String()); err == nil {
		t.Error("a port that drops every connection counts as started")
	}

	for _, c := range []struct {
		name    string
		status  int
		offline bool
		up      bool
	}{
		{"store not open yet", http.StatusServiceUnavailable, true, false},
		{"store open", http.StatusOK, false, true},
		{"another kind of site", http.StatusNotFound, false, true},
		{"503 from something else", http.StatusServiceUnavailable, false, true},
	} {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if c.offline {
				w.Header().Set("X-Minio-Server-Status", "offline")
			}
			w.WriteHeader(c.status)
		})}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(l)
		err = started(ctx, l.Addr().String())
		srv.Close()
		if (err == nil) != c.up {
			t.Errorf("%s: started = %v, want up %v", c.name, err, c.up)
		}
	}
}
