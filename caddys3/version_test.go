package caddys3

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestModuleVersion(t *testing.T) {
	dep := func(m *debug.Module) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "caddy"}, Deps: []*debug.Module{{Path: "other", Version: "v9"}, m}}
	}
	for _, c := range []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{&debug.BuildInfo{Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261206-abc+dirty"}}, "v0.0.0-20261206-abc+dirty"},
		{dep(&debug.Module{Path: modulePath, Version: "v1.2.3"}), "v1.2.3"},
		{dep(&debug.Module{Path: modulePath, Version: "v1.2.3", Replace: &debug.Module{Path: "../caddys3"}}), "v1.2.3 (replaced by ../caddys3)"},
		{dep(&debug.Module{Path: modulePath, Version: "v1.2.3", Replace: &debug.Module{Path: "fork", Version: "v1.2.4"}}), "v1.2.3 (replaced by fork v1.2.4)"},
		{dep(&debug.Module{Path: "unrelated"}), "unknown (not in the build information)"},
		{nil, "unknown (no build information)"},
	} {
		if got := moduleVersion(c.bi); got != c.want {
			t.Errorf("moduleVersion = %q, want %q", got, c.want)
		}
	}
	var b strings.Builder
	writeVersion(&b, &debug.BuildInfo{GoVersion: "go1.26", Main: debug.Module{Path: modulePath, Version: "v0.1.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.time", Value: "2026-12-06T00:00:00Z"}, {Key: "vcs.modified", Value: "true"}}})
	for _, want := range []string{"caddys3 v0.1.0\n", "commit abc (2026-12-06T00:00:00Z, with uncommitted changes)\n", "on-disk layout 1\n", "\ncaddy ", "go go1.26\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("caddy s3 version printed\n%s\nwithout %q", b.String(), want)
		}
	}
}
