package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFind(t *testing.T) {
	root := t.TempDir()
	deep := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Find(deep); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Find with no config: %v, want ErrNotFound", err)
	}
	cfg := filepath.Join(root, FileName)
	if err := os.WriteFile(cfg, []byte("version: \"1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Find(deep)
	if err != nil || got != cfg {
		t.Errorf("Find(%s) = %q, %v; want %q", deep, got, err, cfg)
	}
	t.Chdir(deep)
	got, err = Find(".")
	if want := filepath.Join("..", "..", FileName); err != nil || got != want {
		t.Errorf("Find(.) = %q, %v; want %q", got, err, want)
	}
	t.Chdir(root)
	got, err = Find(".")
	if err != nil || got != FileName {
		t.Errorf("Find(.) in the config's directory = %q, %v; want %q", got, err, FileName)
	}
}
