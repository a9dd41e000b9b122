package mcpserver

import (
	"context"
	"sync"
	"time"

	"github.com/org/k8s-e2e-report/internal/query"
)

// Live is the live cluster as a Source: a snapshot (a light collection, analysed), read
// again on the first call after it is MaxAge old. The snapshot before the current one is
// kept until the next, so an answer being written from it never loses its files.
type Live struct {
	Open   func(context.Context) (*query.Run, func() error, error)
	MaxAge time.Duration
	Now    func() time.Time

	mu         sync.Mutex
	run        *query.Run
	at         time.Time
	cur, older func() error
}

// Run returns the snapshot, reading the cluster again when it is old.
func (l *Live) Run(ctx context.Context) (*query.Run, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now
	if l.Now != nil {
		now = l.Now
	}
	if l.run != nil && now().Sub(l.at) < l.MaxAge {
		return l.run, nil
	}
	run, closeRun, err := l.Open(ctx)
	if err != nil {
		return nil, err // a stale answer would look current: say why there is none
	}
	if l.older != nil {
		l.older()
	}
	l.older, l.cur = l.cur, closeRun
	l.run, l.at = run, now()
	return run, nil
}

// Close releases the snapshots.
func (l *Live) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range []func() error{l.older, l.cur} {
		if c != nil {
			c()
		}
	}
	l.older, l.cur, l.run = nil, nil, nil
	return nil
}
