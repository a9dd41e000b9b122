package mcpserver_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/org/k8s-e2e-report/internal/mcpserver"
	"github.com/org/k8s-e2e-report/internal/query"
)

// The live source reads the cluster again only once its snapshot is MaxAge old, closes
// a snapshot only when a newer one has replaced the one after it, and says why when a
// reading fails instead of answering from an old one.
func TestLiveRefresh(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	opened, closed := 0, 0
	fail := false
	l := &mcpserver.Live{MaxAge: 30 * time.Second, Now: func() time.Time { return now },
		Open: func(context.Context) (*query.Run, func() error, error) {
			if fail {
				return nil, nil, errors.New("cluster unreachable")
			}
			opened++
			return &query.Run{Source: "snapshot"}, func() error { closed++; return nil }, nil
		}}
	ctx := context.Background()
	first, _ := l.Run(ctx)
	now = now.Add(29 * time.Second)
	if again, _ := l.Run(ctx); again != first || opened != 1 {
		t.Fatalf("a 29s old snapshot was read again (%d readings)", opened)
	}
	now = now.Add(2 * time.Second)
	second, _ := l.Run(ctx)
	if second == first || opened != 2 || closed != 0 {
		t.Fatalf("after 31s: %d readings, %d closed; want 2 and none (the first may still be in use)", opened, closed)
	}
	now = now.Add(time.Minute)
	l.Run(ctx)
	if opened != 3 || closed != 1 {
		t.Fatalf("third reading: %d closed; want the first closed", closed)
	}
	now = now.Add(time.Minute)
	fail = true
	if _, err := l.Run(ctx); err == nil {
		t.Fatal("a failed reading answered from an old snapshot")
	}
	l.Close()
	if closed != 3 {
		t.Errorf("Close closed %d of 3 snapshots", closed)
	}
}
