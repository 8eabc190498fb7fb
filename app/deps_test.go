package app

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection: app sits between publish and the front ends, so it
// imports neither ui nor cmd/studio, nor Fyne.
func TestImportDirection(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "goaac_simd", "studio/app").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "studio/ui" || strings.HasPrefix(p, "studio/cmd/") || strings.HasPrefix(p, "fyne.io/") {
			t.Errorf("app depends on %s", p)
		}
	}
}
