package console

import "fmt"

// Config configures a console receiver.
type Config struct {
	// Output is "stdout" (the default when empty) or "stderr".
	Output string `yaml:"output"`
}

// Validate checks c's own fields.
func (c Config) Validate() error {
	switch c.Output {
	case "", "stdout", "stderr":
		return nil
	}
	return fmt.Errorf("output %q is not stdout or stderr", c.Output)
}
