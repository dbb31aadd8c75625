package main

import (
	"runtime/debug"
	"testing"
)

func TestCommandOf(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"plan", "m.yaml"}, "plan"},
		{[]string{"--no-color", "sim", "serve"}, "sim"},
		{[]string{"--log-level", "debug", "sim", "serve"}, "sim"},
		{[]string{"--log-level=debug", "apply", "p.json"}, "apply"},
		{[]string{"--", "plan"}, ""},
		{nil, ""},
	} {
		if got := commandOf(tc.args); got != tc.want {
			t.Errorf("commandOf(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

func TestSetMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want int64
	}{
		{"plan gets the default", []string{"plan", "m.yaml"}, nil, defaultMemoryLimit},
		{"GOMEMLIMIT wins", []string{"plan", "m.yaml"}, map[string]string{"GOMEMLIMIT": "1GiB"}, 0},
		{"GOMEMLIMIT=off wins", []string{"apply"}, map[string]string{"GOMEMLIMIT": "off"}, 0},
		{"the simulator is not limited", []string{"sim", "serve"}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetMemoryLimit(prev)
			got := setMemoryLimit(tc.args, env(tc.env))
			if got != tc.want {
				t.Fatalf("setMemoryLimit = %d, want %d", got, tc.want)
			}
			now := debug.SetMemoryLimit(-1)
			if tc.want != 0 && now != tc.want {
				t.Errorf("runtime limit = %d, want %d", now, tc.want)
			}
			if tc.want == 0 && now != prev {
				t.Errorf("runtime limit changed to %d though none was set", now)
			}
		})
	}
}
