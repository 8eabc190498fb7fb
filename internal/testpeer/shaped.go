package testpeer

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// ShapedLink is nginx-rtmp inside a private network namespace, reached
// over a veth pair whose publish direction a test can shape, make lossy or
// cut. It needs root and Linux's ip, tc and nft. The namespace, the links
// and the server are removed by t.Cleanup, whatever the test's outcome.
type ShapedLink struct {
	*Nginx
	NS   string // network namespace of the server
	host string // our end of the veth pair; its egress is the publish direction
}

// StartShapedLink sets up the link, shaped to kbit kbit/s (0: unshaped),
// and starts the server behind it.
func StartShapedLink(t testing.TB, kbit int) *ShapedLink {
	t.Helper()
	Require(t, "ip", "tc", "nft")
	if os.Geteuid() != 0 {
		missing(t, "a shaped link needs root")
	}
	n := freeLinkNumber(t)
	l := &ShapedLink{NS: fmt.Sprintf("studiotest%d", n), host: fmt.Sprintf("sth%d", n)}
	peer := fmt.Sprintf("stn%d", n)
	hostIP, serverIP := fmt.Sprintf("10.232.%d.1", n), fmt.Sprintf("10.232.%d.2", n)
	t.Cleanup(func() { l.down() })
	for _, args := range [][]string{
		{"ip", "netns", "add", l.NS},
		{"ip", "netns", "exec", l.NS, "ip", "link", "set", "lo", "up"},
		{"ip", "link", "add", l.host, "type", "veth", "peer", "name", peer},
		{"ip", "link", "set", peer, "netns", l.NS},
		{"ip", "addr", "add", hostIP + "/24", "dev", l.host},
		{"ip", "link", "set", l.host, "up"},
		{"ip", "netns", "exec", l.NS, "ip", "addr", "add", serverIP + "/24", "dev", peer},
		{"ip", "netns", "exec", l.NS, "ip", "link", "set", peer, "up"},
	} {
		mustRun(t, args...)
	}
	l.Rate(t, kbit)
	l.Nginx = startNginx(t, nginxPorts{Addr: serverIP, RTMP: 1935, HTTP: 8080, RTMPS: 443},
		[]string{"ip", "netns", "exec", l.NS})
	return l
}

// freeLinkNumber picks a number that no namespace or link of ours uses.
func freeLinkNumber(t testing.TB) int {
	t.Helper()
	netns, _ := exec.Command("ip", "netns", "list").Output()
	links, _ := exec.Command("ip", "-o", "link", "show").Output()
	for n := 1; n < 250; n++ {
		if !strings.Contains(string(netns), fmt.Sprintf("studiotest%d ", n)) &&
			!strings.Contains(string(netns)+"\n", fmt.Sprintf("studiotest%d\n", n)) &&
			!strings.Contains(string(links), fmt.Sprintf(" sth%d@", n)) {
			return n
		}
	}
	t.Fatal("no free link number")
	return 0
}

// Rate shapes the publish direction to kbit kbit/s; 0 removes the shaping.
func (l *ShapedLink) Rate(t testing.TB, kbit int) {
	t.Helper()
	_ = exec.Command("tc", "qdisc", "del", "dev", l.host, "root").Run()
	if kbit > 0 {
		mustRun(t, "tc", "qdisc", "add", "dev", l.host, "root", "tbf",
			"rate", fmt.Sprintf("%dkbit", kbit), "burst", "32kb", "latency", "400ms")
	}
}

// ServerSide returns a command that runs beside the server, inside its
// namespace: it reaches the server over the namespace's own loopback, not
// through the shaped link, as a viewer on another network would.
func (l *ShapedLink) ServerSide(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", l.NS, name}, args...)...)
}

// Cut silently drops every packet to and from the server: no RST, no FIN.
func (l *ShapedLink) Cut(t testing.TB) {
	t.Helper()
	nft := []string{"ip", "netns", "exec", l.NS, "nft"}
	_ = exec.Command("ip", "netns", "exec", l.NS, "nft", "delete", "table", "inet", "cut").Run()
	for _, rule := range [][]string{
		{"add", "table", "inet", "cut"},
		{"add", "chain", "inet", "cut", "in", "{ type filter hook input priority -10; policy drop; }"},
		{"add", "chain", "inet", "cut", "out", "{ type filter hook output priority -10; }"},
		{"add", "rule", "inet", "cut", "out", "oifname", "!=", "lo", "drop"},
		{"add", "rule", "inet", "cut", "in", "iifname", "lo", "accept"},
	} {
		mustRun(t, append(nft, rule...)...)
	}
}

// Restore undoes Cut.
func (l *ShapedLink) Restore(t testing.TB) {
	t.Helper()
	mustRun(t, "ip", "netns", "exec", l.NS, "nft", "delete", "table", "inet", "cut")
}

// down stops the server and removes the namespace and links; it is safe
// to call on a half-built link.
func (l *ShapedLink) down() {
	if l.Nginx != nil {
		l.Nginx.Stop(nil)
	}
	_ = exec.Command("tc", "qdisc", "del", "dev", l.host, "root").Run()
	_ = exec.Command("ip", "netns", "del", l.NS).Run()
	_ = exec.Command("ip", "link", "del", l.host).Run()
}

func mustRun(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
