package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, that it returns a
// config or errors, that every error with a path has a position, and that
// a config it returns compiles.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, errs := Parse("fuzz.yaml", data)
		if (cfg == nil) == (len(errs) == 0) {
			t.Fatalf("config %v with %d errors", cfg != nil, len(errs))
		}
		for _, e := range errs {
			ce, ok := e.(*Error)
			if !ok {
				t.Fatalf("error %v is a %T", e, e)
			}
			if ce.Path != "" && ce.Line == 0 {
				t.Fatalf("error without a position: %v", e)
			}
		}
		if cfg != nil {
			if _, err := cfg.Compile(); err != nil {
				t.Fatalf("valid config does not compile: %v", err)
			}
		}
	})
}
