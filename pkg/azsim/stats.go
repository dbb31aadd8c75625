package azsim

import "sync"

// Stats are call counts since start or the last reset, for tests and benchmarks (e.g. to prove a no-op plan makes
// zero writes). Admin endpoint calls are not counted.
type Stats struct {
	Total  int64            `json:"total"`
	Writes int64            `json:"writes"` // Graph and ARM requests whose method is not GET or HEAD (token requests excluded)
	Routes map[string]int64 `json:"routes"` // by route label, e.g. "PUT roleAssignments", "POST token"
	Faults map[string]int64 `json:"faults"` // injected faults by kind: latency, 429, 500, 503, reset
}

// statsCounter accumulates Stats; it has its own lock so counting never waits for the world lock.
type statsCounter struct {
	mu     sync.Mutex
	total  int64
	writes int64
	routes map[string]int64
}

func newStatsCounter() *statsCounter { return &statsCounter{routes: map[string]int64{}} }

func (c *statsCounter) count(label string, write bool) {
	c.mu.Lock()
	c.total++
	if write {
		c.writes++
	}
	c.routes[label]++
	c.mu.Unlock()
}

func (c *statsCounter) snapshot() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := Stats{Total: c.total, Writes: c.writes, Routes: make(map[string]int64, len(c.routes))}
	for k, v := range c.routes {
		st.Routes[k] = v
	}
	return st
}

func (c *statsCounter) reset() {
	c.mu.Lock()
	c.total, c.writes = 0, 0
	clear(c.routes)
	c.mu.Unlock()
}
