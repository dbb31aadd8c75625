package spec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	durationRE = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?(d|h|m|s|ms|us|µs|ns))+$`)
	dayRE      = regexp.MustCompile(`([0-9]+(?:\.[0-9]+)?)d`)
)

// ParseDuration reads a manifest duration: Go's time.ParseDuration syntax
// plus a `d` unit of 24 hours ("365d", "30d12h"). Negative and zero
// durations are rejected: every manifest duration is a span of time ahead.
// Errors do not repeat the input, so callers decide how to show it.
func ParseDuration(s string) (time.Duration, error) {
	if !durationRE.MatchString(s) {
		return 0, fmt.Errorf("not a duration; write e.g. 8760h, 365d or 30d12h")
	}
	var convErr error
	goSyntax := dayRE.ReplaceAllStringFunc(s, func(tok string) string {
		days, err := strconv.ParseFloat(strings.TrimSuffix(tok, "d"), 64)
		if err != nil {
			convErr = err
			return tok
		}
		return strconv.FormatFloat(days*24, 'f', -1, 64) + "h"
	})
	if convErr != nil {
		return 0, fmt.Errorf("not a duration: %w", convErr)
	}
	d, err := time.ParseDuration(goSyntax)
	if err != nil {
		return 0, fmt.Errorf("not a usable duration (too long?)")
	}
	if d <= 0 {
		return 0, fmt.Errorf("it must be longer than zero")
	}
	return d, nil
}

// formatDuration prints a duration in days when it is whole days, for messages.
func formatDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
