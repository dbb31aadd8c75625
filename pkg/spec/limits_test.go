package spec

import (
	"fmt"
	"strings"
	"testing"
)

// TestMaxNodesFor pins the node budget: a floor for small files, then
// proportional to the input size, never more than the largest file allows.
func TestMaxNodesFor(t *testing.T) {
	tests := []struct {
		size, want int
	}{
		{0, MinNodes},
		{1 << 10, MinNodes},
		{MinNodes * BytesPerNode, MinNodes},
		{2_750_000, 687_500}, // the 10,000-consumer fleet manifest (~200,000 nodes)
		{5_500_000, 1_375_000},
		{MaxManifestBytes, MaxManifestBytes / BytesPerNode},
	}
	for _, tt := range tests {
		if got := MaxNodesFor(tt.size); got != tt.want {
			t.Errorf("MaxNodesFor(%d) = %d, want %d", tt.size, got, tt.want)
		}
	}
}

// TestLimitsFitFleets pins the sizes a fleet manifest needs: 20,000
// consumers at the measured ~275 bytes and ~20 nodes per consumer must fit
// in the byte limit and its node budget with margin.
func TestLimitsFitFleets(t *testing.T) {
	const consumers, bytesPer, nodesPer = 20_000, 275, 20
	size := consumers * bytesPer
	if size*5/4 > MaxManifestBytes {
		t.Errorf("a %d-consumer manifest (%d bytes) leaves less than 25%% margin under %d", consumers, size, MaxManifestBytes)
	}
	if nodes := consumers * nodesPer; nodes*2 > MaxNodesFor(size) {
		t.Errorf("a %d-consumer manifest (%d nodes) leaves less than 2× margin under %d", consumers, nodes, MaxNodesFor(size))
	}
}

// TestPaddedAliasBomb: padding a bomb with a large comment raises its
// budget only in proportion to the padding, so it still stops with the
// budget of its size in the message.
func TestPaddedAliasBomb(t *testing.T) {
	for _, pad := range []int{0, 1 << 20, 4 << 20} {
		t.Run(fmt.Sprint(pad), func(t *testing.T) {
			data := "# " + strings.Repeat("x", pad) + "\n" + aliasBomb()
			m, diags := Parse("bomb.yaml", []byte(data))
			if m != nil {
				t.Fatal("the bomb was accepted")
			}
			want := fmt.Sprintf("more than %d YAML nodes", MaxNodesFor(len(data)))
			for _, d := range diags {
				if d.Code == CodeAlias && strings.Contains(d.Summary, want) {
					return
				}
			}
			t.Fatalf("no %s diagnostic containing %q in:\n%s", CodeAlias, want, diags)
		})
	}
}
