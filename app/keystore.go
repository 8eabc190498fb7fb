package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/zalando/go-keyring"
)

// keyringService names studio's entries in the OS keyring.
const keyringService = ID

// KeyStore keeps stream keys out of the preferences: in the OS keyring
// (Secret Service, macOS Keychain, Windows Credential Manager) when one
// answers, otherwise in a JSON file of mode 0600 that only its owner can
// read. Errors never contain a key.
type KeyStore struct {
	useKeyring bool
	path       string // the fallback file

	mu sync.Mutex // serialises file access
}

// NewKeyStore returns a store that falls back to dir/streamkey. It uses the
// keyring only when a session bus is reachable, so that a machine without
// one does not start a D-Bus daemon (as godbus would) just to fail.
func NewKeyStore(dir string) *KeyStore {
	ks := &KeyStore{path: filepath.Join(dir, "streamkey")}
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		_, err := keyring.Get(keyringService, "probe")
		ks.useKeyring = err == nil || errors.Is(err, keyring.ErrNotFound)
	}
	return ks
}

// DefaultKeyStore uses the user config directory (~/.config/studio).
func DefaultKeyStore() *KeyStore {
	dir, err := os.UserConfigDir()
	if err != nil {
		dir = os.TempDir()
	}
	return NewKeyStore(filepath.Join(dir, "studio"))
}

// Where says where keys are kept, for the README and logs.
func (ks *KeyStore) Where() string {
	if ks.useKeyring {
		return "the OS keyring"
	}
	return ks.path
}

// LoadKey returns the key stored for destination dest, or "" when none
// is.
func (ks *KeyStore) LoadKey(dest string) (string, error) {
	if ks.useKeyring {
		k, err := keyring.Get(keyringService, dest)
		if errors.Is(err, keyring.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("reading the keyring: %w", err)
		}
		return k, nil
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	m, err := ks.read()
	return m[dest], err
}

// SaveKey stores key for destination dest; an empty key deletes it.
func (ks *KeyStore) SaveKey(dest, key string) error {
	if ks.useKeyring {
		var err error
		if key == "" {
			err = keyring.Delete(keyringService, dest)
			if errors.Is(err, keyring.ErrNotFound) {
				err = nil
			}
		} else {
			err = keyring.Set(keyringService, dest, key)
		}
		if err != nil {
			return fmt.Errorf("writing the keyring: %w", err)
		}
		return nil
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	m, err := ks.read()
	if err != nil {
		return err
	}
	if m[dest] == key {
		return nil
	}
	if key == "" {
		delete(m, dest)
	} else {
		m[dest] = key
	}
	return ks.write(m)
}

func (ks *KeyStore) read() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(ks.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("reading the stream key file: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return map[string]string{}, fmt.Errorf("stream key file %s is damaged; enter the key again", ks.path)
	}
	return m, nil
}

// write replaces the file atomically. os.CreateTemp makes it with mode
// 0600, readable by its owner only.
func (ks *KeyStore) write(m map[string]string) (err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("saving the stream key: %w", err)
		}
	}()
	dir := filepath.Dir(ks.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".streamkey-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), ks.path)
}
