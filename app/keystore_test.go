package app

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyStoreFile(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "") // the file, never the keyring
	dir := filepath.Join(t.TempDir(), "studio")
	ks := NewKeyStore(dir)
	if k, err := ks.LoadKey("YouTube"); k != "" || err != nil {
		t.Fatalf("empty store: %q, %v", k, err)
	}
	if err := ks.SaveKey("YouTube", testKey); err != nil {
		t.Fatal(err)
	}
	if err := ks.SaveKey("Twitch", "live_1234"); err != nil {
		t.Fatal(err)
	}
	if k, err := NewKeyStore(dir).LoadKey("YouTube"); k != testKey || err != nil {
		t.Errorf("reloaded key %q, %v", k, err)
	}
	fi, err := os.Stat(ks.Where())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	if err := ks.SaveKey("YouTube", ""); err != nil {
		t.Fatal(err)
	}
	if k, _ := ks.LoadKey("YouTube"); k != "" {
		t.Errorf("deleted key still there: %q", k)
	}
	if k, _ := ks.LoadKey("Twitch"); k != "live_1234" {
		t.Errorf("the other key is gone: %q", k)
	}
	// A damaged file is reported without its content.
	if err := os.WriteFile(ks.Where(), []byte("{"+testKey), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = ks.LoadKey("YouTube")
	if err == nil || strings.Contains(err.Error(), "Zq8kP3vT7") {
		t.Errorf("damaged file: %v", err)
	}
}
