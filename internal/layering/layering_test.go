// Package layering checks the direction of imports between the layers of
// the module: capture → encode → publish (wire packages below the session
// layer) → app → ui → cmd. Lower layers never import higher ones.
package layering

import (
	"bufio"
	"bytes"
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// under reports whether pkg is root or a package below it.
func under(pkg string, roots ...string) bool {
	for _, r := range roots {
		if pkg == r || strings.HasPrefix(pkg, r+"/") {
			return true
		}
	}
	return false
}

// A rule forbids packages that match from to depend on packages that match
// to.
type rule struct {
	name string
	from func(pkg string) bool
	to   func(dep string) bool
}

func tree(roots ...string) func(string) bool {
	return func(p string) bool { return under(p, roots...) }
}

func exactly(names ...string) func(string) bool {
	return func(p string) bool { return slices.Contains(names, p) }
}

var rules = []rule{
	{
		name: "the wire packages stand alone below the session layer",
		from: tree("studio/publish/rtmp", "studio/publish/amf0", "studio/publish/flv"),
		to:   exactly("studio/publish"),
	},
	{
		name: "capture is below encode, publish and ui",
		from: tree("studio/capture"),
		to:   tree("studio/encode", "studio/publish", "studio/ui"),
	},
	{
		name: "encode is below publish and ui",
		from: tree("studio/encode"),
		to:   tree("studio/publish", "studio/ui"),
	},
	{
		name: "publish is below ui and app",
		from: tree("studio/publish"),
		to:   tree("studio/ui", "studio/app"),
	},
	{
		name: "only cmd depends on cmd",
		from: func(p string) bool { return !under(p, "studio/cmd") },
		to:   tree("studio/cmd"),
	},
}

// graph maps each package to what it depends on.
type graph map[string][]string

// violations lists every dependency of g that a rule forbids, as
// "pkg → dep (rule)".
func violations(g graph) []string {
	var out []string
	for _, pkg := range slices.Sorted(maps.Keys(g)) {
		for _, dep := range g[pkg] {
			for _, r := range rules {
				if r.from(pkg) && r.to(dep) {
					out = append(out, pkg+" → "+dep+" ("+r.name+")")
				}
			}
		}
	}
	return out
}

// listGraph runs go list over the module with the build tags the project
// uses. With tests false it returns every package's transitive
// dependencies (what the package itself links); with tests true, what its
// tests import directly (in-package and external tests).
func listGraph(t *testing.T, tests bool) graph {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list packages: %v", err)
	}
	format := `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`
	if tests {
		format = `{{.ImportPath}}{{range .TestImports}} {{.}}{{end}}{{range .XTestImports}} {{.}}{{end}}`
	}
	cmd := exec.Command(goTool, "list", "-e", "-tags", "goaac_simd", "-f", format, "studio/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.Bytes())
	}
	g := graph{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 0 {
			g[f[0]] = f[1:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestImportDirection fails when a package depends on a layer above it.
func TestImportDirection(t *testing.T) {
	g := listGraph(t, false)
	// The listing must be real: the layers are there, with their
	// dependencies.
	for _, want := range []string{"studio/capture", "studio/encode", "studio/publish", "studio/publish/rtmp", "studio/publish/flv", "studio/publish/amf0", "studio/ui", "studio/cmd/studio"} {
		if _, ok := g[want]; !ok {
			t.Fatalf("go list did not list %s", want)
		}
	}
	if !slices.Contains(g["studio/publish/rtmp"], "studio/publish/rtmp/chunk") {
		t.Fatalf("go list gave studio/publish/rtmp no dependency on its chunk package: %v", g["studio/publish/rtmp"])
	}
	for _, v := range violations(g) {
		t.Error(v)
	}
}

// TestTestImportDirection applies the same rules to what tests import, so
// that a lower layer's tests do not reach up either.
func TestTestImportDirection(t *testing.T) {
	for _, v := range violations(listGraph(t, true)) {
		t.Error(v)
	}
}

// TestRules checks the checker: each rule catches its violation and lets
// the allowed directions through.
func TestRules(t *testing.T) {
	bad := graph{
		"studio/publish/rtmp/chunk": {"studio/publish"},
		"studio/publish/flv":        {"studio/publish"},
		"studio/capture/alsa":       {"studio/encode/aac"},
		"studio/capture":            {"studio/ui"},
		"studio/encode/h264":        {"studio/publish/flv"},
		"studio/encode":             {"studio/ui"},
		"studio/publish":            {"studio/app"},
		"studio/publish/rtmp":       {"studio/ui"},
		"studio/app":                {"studio/cmd/studio"},
		"studio/internal/testpeer":  {"studio/cmd/studio"},
	}
	got := violations(bad)
	if len(got) != len(bad) {
		t.Errorf("%d violations in a graph with %d, got:\n%s", len(got), len(bad), strings.Join(got, "\n"))
	}
	for pkg := range bad {
		if !slices.ContainsFunc(got, func(v string) bool { return strings.HasPrefix(v, pkg+" → ") }) {
			t.Errorf("%s → %v not reported", pkg, bad[pkg])
		}
	}

	good := graph{
		"studio/publish/rtmp":       {"studio/publish/rtmp/chunk", "studio/publish/rtmp/wire", "studio/publish/amf0", "studio/publish/flv", "studio/encode"},
		"studio/publish/rtmp/chunk": {"studio/publish/rtmp/wire"},
		"studio/publish":            {"studio/publish/rtmp/wire", "studio/encode", "studio/capture"},
		"studio/encode/h264":        {"studio/encode", "studio/capture"},
		"studio/ui":                 {"studio/app", "studio/publish"},
		"studio/cmd/studio":         {"studio/ui", "studio/app", "studio/cmd/studio/internal"},
		"studio/encoder":            {"studio/publish"}, // not under studio/encode
	}
	if v := violations(good); len(v) > 0 {
		t.Errorf("allowed dependencies reported:\n%s", strings.Join(v, "\n"))
	}
}
