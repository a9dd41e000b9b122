// Package fingerprint gives a failure an identity that survives a new run: the same
// cause, seen in another run (or by another test of this one), gets the same key even
// though pod names, addresses, IDs, times and counts differ. The normalisation follows
// Kubernetes' triage (test-infra triage/summarize/text.go): blank times, renumber
// random tokens, then let messages that differ by at most 10% match.
package fingerprint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"

	"github.com/agnivade/levenshtein"

	"github.com/org/k8s-e2e-report/internal/lazyre"
)

// MaxLen bounds the text a fingerprint is taken from: past it, only the head and tail
// count (as triage truncates long output).
const MaxLen = 2000

var (
	// times: RFC 3339 and log timestamps, klog's "0102 15:04:05.000000", HTTP dates.
	timeRE = lazyre.New(`\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[-+]\d\d:?\d\d)?` +
		`|[A-Z][a-z]{2}, \d+ \w+ 2\d{3} [\d.:]+( [A-Z]{3}|[-+]\d+)?` +
		`|\b\w{3}\s+\d{1,2} \d+:\d+:\d+(\.\d+)?` +
		`|\b[IWEF]\d{4} \d\d:\d\d:\d\d(\.\d+)?` +
		`|\b\d\d:\d\d:\d\d(\.\d+)?`)
	// durations as Go prints them (1m2.5s, 300ms, 2h0m0s) and "12.3 s"-like ones.
	durationRE = lazyre.New(`\b(\d+(\.\d+)?(h|m|s|ms|µs|us|ns))+\b`)
	// tokens renamed to UNIQn in order of first appearance, so two different IDs in one
	// message stay two.
	uniqRE = lazyre.New(`0x[0-9a-fA-F]+` +
		`|\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(:\d+)?\b` +
		`|\[[0-9a-fA-F:]*:[0-9a-fA-F:]+\](:\d+)?` +
		`|\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b` +
		`|\b[0-9a-f]{12,64}\b`)
	// generated object names: Deployment pods (name-<template hash>-<suffix>), Job and
	// DaemonSet pods and generateName objects (name-<suffix>), StatefulSet ordinals.
	podRE = lazyre.New(`\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)-[bcdfghjklmnpqrstvwxz2456789]{6,10}-[bcdfghjklmnpqrstvwxz2456789]{5}\b` +
		`|\b([a-z0-9]([-a-z0-9]*[a-z0-9])?)-[bcdfghjklmnpqrstvwxz2456789]{5}\b`)
	numberRE = lazyre.New(`\b\d+(\.\d+)?\b`)
	mapRE    = lazyre.New(`map\[([^][]*)\]`)
	spaceRE  = lazyre.New(`\s+`)
)

// Normalise folds what varies between runs of the same failure.
func Normalise(s string) string {
	if len(s) > MaxLen {
		s = s[:MaxLen/2] + " … " + s[len(s)-MaxLen/2:]
	}
	s = timeRE().ReplaceAllLiteralString(s, "TIME")
	// Go prints maps in a random order.
	s = mapRE().ReplaceAllStringFunc(s, func(m string) string {
		parts := strings.Split(m[4:len(m)-1], " ")
		sort.Strings(parts)
		return "map[" + strings.Join(parts, " ") + "]"
	})
	seen := map[string]string{}
	s = uniqRE().ReplaceAllStringFunc(s, func(m string) string {
		if _, ok := seen[m]; !ok {
			seen[m] = fmt.Sprintf("UNIQ%d", len(seen)+1)
		}
		return seen[m]
	})
	s = podRE().ReplaceAllStringFunc(s, func(m string) string {
		sub := podRE().FindStringSubmatch(m)
		if sub[1] != "" {
			return sub[1] + "-*"
		}
		return sub[3] + "-*"
	})
	s = durationRE().ReplaceAllLiteralString(s, "DUR")
	s = numberRE().ReplaceAllLiteralString(s, "N")
	return strings.TrimSpace(spaceRE().ReplaceAllLiteralString(s, " "))
}

// Key is a short stable hash of already normalised parts.
func Key(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:8])
}

// Of is the fingerprint of a failure: its kind (a finding's category, a test's suite)
// and its normalised subject and message.
func Of(kind, subject, message string) string {
	return Key(kind, Normalise(subject), Normalise(message))
}

// Similar says whether two normalised messages are the same failure: equal, or apart
// by at most 10% of their mean length in edit distance (triage's rule). Short messages
// must be equal.
func Similar(a, b string) bool {
	if a == b {
		return true
	}
	limit := (len(a) + len(b)) / 20
	if limit <= 1 {
		return false
	}
	if d := len(a) - len(b); d > limit || -d > limit {
		return false
	}
	return levenshtein.ComputeDistance(a, b) <= limit
}
