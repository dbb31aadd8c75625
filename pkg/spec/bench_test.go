package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bigManifest is a valid manifest with n consumers of two grants each.
func bigManifest(n int) []byte {
	var b strings.Builder
	b.WriteString(strings.SplitAfter(baseManifest, "consumers:\n")[0])
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "  - name: c%d\n    tenant: %08x-0000-4000-8000-000000000000\n    grants:\n", i, i+0x30000000)
		fmt.Fprintf(&b, "      - scope: /subscriptions/%08x-0000-4000-8000-000000000001/resourceGroups/vm-rg\n        role: Contributor\n", i+0x40000000)
		fmt.Fprintf(&b, "      - scope: /subscriptions/%08x-0000-4000-8000-000000000001/resourceGroups/build-rg\n        role: Reader\n", i+0x40000000)
	}
	return []byte(b.String())
}

func BenchmarkParseQuickstart(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "quickstart.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if m, diags := Parse("q.yaml", data); m == nil {
			b.Fatal(diags)
		}
	}
}

func BenchmarkParse1000Consumers(b *testing.B) {
	data := bigManifest(1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if m, diags := Parse("big.yaml", data); m == nil || len(m.Consumers) != 1000 {
			b.Fatal(diags)
		}
	}
}
