package traces

import (
	"reflect"
	"strings"
	"testing"
)

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		strings.Repeat("a", 16): true, strings.Repeat("F", 32): true, strings.Repeat("0", 20): false,
		strings.Repeat("a", 15): false, strings.Repeat("a", 33): false, strings.Repeat("g", 16): false, "": false,
	} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) = %v", id, !want)
		}
	}
}

func TestIDsIn(t *testing.T) {
	a, b := "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b700f067aa0ba902b7"
	text := "trace " + strings.ToUpper(a) + " then " + a + " and " + b + " (commit 00f067aa0ba902b7 too short) " + strings.Repeat("c", 40)
	if got := IDsIn(text, 5); !reflect.DeepEqual(got, []string{a, b}) {
		t.Errorf("IDsIn = %v, want %v (distinct, lower case, 32 hex digits only)", got, []string{a, b})
	}
	if got := IDsIn(text, 1); !reflect.DeepEqual(got, []string{a}) {
		t.Errorf("IDsIn max 1 = %v", got)
	}
}
