package history

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite"
)

// Store keeps digests: an embedded SQLite file, or PostgreSQL (postgres://…) for one
// history shared by many repositories and workflows. Both have the same schema.
type Store struct {
	db *sql.DB
	pg bool
	// Keep bounds the runs kept per repository, key and branch: recording one more
	// deletes the oldest beyond it, in the same transaction. 0: DefaultKeep.
	Keep int
}

// DefaultKeep is how many runs of a branch a job's history keeps by default.
const DefaultKeep = 200

// RunKey is a run's key in the store: its ID, and the attempt after the first
// ("123#2"), so a re-run is recorded and replaces its earlier attempt.
func RunKey(id string, attempt int) string {
	if attempt <= 1 {
		return id
	}
	return fmt.Sprintf("%s#%d", id, attempt)
}

// splitRunKey is RunKey's inverse.
func splitRunKey(key string) (string, int) {
	id, a, ok := strings.Cut(key, "#")
	n, err := strconv.Atoi(a)
	if !ok || err != nil || n < 1 {
		return key, 1
	}
	return id, n
}

// Scope is one job's history: runs of the same repository and key.
type Scope struct {
	Repo, Key string
}

// IsPostgres says whether a --store value names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens (and creates or migrates) the store a --store value names.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if dsn == "" {
		return nil, errors.New("--store is empty: give a file path (SQLite) or a postgres:// URL")
	}
	s := &Store{pg: IsPostgres(dsn)}
	var err error
	if s.pg {
		s.db, err = sql.Open("pgx", dsn)
	} else {
		if err := checkStoreFile(dsn); err != nil {
			return nil, err
		}
		s.db, err = sql.Open("sqlite", "file:"+dsn+"?_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_txlock=immediate")
		s.db.SetMaxOpenConns(1)
	}
	if err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("history store %s: %w", redactDSN(dsn), err)
	}
	return s, nil
}

// checkStoreFile refuses a store path that is not a regular file: a cache restored from
// elsewhere may hold a symlink or a FIFO where the database should be.
func checkStoreFile(path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("history store %s is not a regular file (%s): remove it or name another --store", path, fi.Mode().Type())
	}
	return nil
}

// redactDSN keeps a password out of an error message.
func redactDSN(dsn string) string {
	if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); i >= 0 && j > i {
		return dsn[:i+3] + "…" + dsn[j:]
	}
	return dsn
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// q turns the ? placeholders of a query into PostgreSQL's $n.
func (s *Store) q(query string) string {
	if !s.pg {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SchemaVersion is the newest store schema this ci-report knows.
const SchemaVersion = 1

// migrations[i] takes the schema from version i to i+1; {id} is the dialect's
// auto-increment key.
var migrations = []string{`
CREATE TABLE runs (
	id {id},
	repo TEXT NOT NULL,
	job_key TEXT NOT NULL,
	branch TEXT NOT NULL,
	sha TEXT NOT NULL,
	tree TEXT NOT NULL,
	run TEXT NOT NULL,
	at BIGINT NOT NULL,
	UNIQUE (repo, job_key, run, sha)
);
CREATE INDEX runs_window ON runs (repo, job_key, branch, at);
CREATE INDEX runs_tree ON runs (repo, job_key, tree);
CREATE TABLE tests (
	run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	suite TEXT NOT NULL,
	class TEXT NOT NULL,
	name TEXT NOT NULL,
	status TEXT NOT NULL,
	duration_ms BIGINT NOT NULL,
	attempts INTEGER NOT NULL
);
CREATE INDEX tests_run ON tests (run_id, status);
CREATE TABLE findings (
	run_id BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	fingerprint TEXT NOT NULL,
	category TEXT NOT NULL,
	subject TEXT NOT NULL,
	message TEXT NOT NULL
);
CREATE INDEX findings_run ON findings (run_id);
`}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.pg {
		// One migrator at a time across the organisation's jobs.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7301842)`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS ci_report_schema (version INTEGER NOT NULL)`); err != nil {
		return err
	}
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM ci_report_schema`).Scan(&v); err != nil {
		return err
	}
	if int(v.Int64) > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this ci-report knows (%d): upgrade ci-report or use another store", v.Int64, SchemaVersion)
	}
	id := "INTEGER PRIMARY KEY AUTOINCREMENT"
	if s.pg {
		id = "BIGSERIAL PRIMARY KEY"
	}
	for i := int(v.Int64); i < len(migrations); i++ {
		for _, stmt := range strings.Split(strings.ReplaceAll(migrations[i], "{id}", id), ";") {
			if strings.TrimSpace(stmt) == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migrating to schema %d: %w", i+1, err)
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ci_report_schema (version) VALUES (?)`), i+1); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Record stores a digest; false if that run was recorded before (recording is idempotent).
func (s *Store) Record(ctx context.Context, d Digest) (bool, error) {
	if err := d.check(); err != nil {
		return false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if s.pg {
		// One recording at a time per job and branch (SQLite's immediate transactions
		// already are): two jobs recording into one database then keep exactly Keep runs.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, d.Repo+"\n"+d.Key+"\n"+d.Branch); err != nil {
			return false, err
		}
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO runs (repo, job_key, branch, sha, tree, run, at) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`), d.Repo, d.Key, d.Branch, d.SHA, d.Tree, d.Run, d.Time.UnixMilli()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if stale, err := s.supersede(ctx, tx, d, id); err != nil {
		return false, err
	} else if stale {
		return false, nil // a later attempt of this run is recorded already
	}
	const batch = 100
	for i := 0; i < len(d.Tests); i += batch {
		part := d.Tests[i:min(i+batch, len(d.Tests))]
		args := make([]any, 0, 7*len(part))
		for _, t := range part {
			args = append(args, id, t.Suite, t.Class, t.Name, t.Status, t.DurationMs, t.Attempts)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO tests (run_id, suite, class, name, status, duration_ms, attempts) VALUES `+values(len(part), 7)), args...); err != nil {
			return false, err
		}
	}
	for i := 0; i < len(d.Findings); i += batch {
		part := d.Findings[i:min(i+batch, len(d.Findings))]
		args := make([]any, 0, 5*len(part))
		for _, f := range part {
			args = append(args, id, f.Fingerprint, f.Category, f.Subject, f.Message)
		}
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO findings (run_id, fingerprint, category, subject, message) VALUES `+values(len(part), 5)), args...); err != nil {
			return false, err
		}
	}
	if err := s.retain(ctx, tx, d); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// supersede keeps one attempt of a run, the latest: it deletes the run's earlier
// attempts, or reports that a later one is recorded (then this one is not kept).
func (s *Store) supersede(ctx context.Context, tx *sql.Tx, d Digest, id int64) (bool, error) {
	if d.Run == "" {
		return false, nil
	}
	base, attempt := splitRunKey(d.Run)
	var older []any
	later := false
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, run FROM runs WHERE repo = ? AND job_key = ? AND (run = ? OR run LIKE ?) AND id <> ?`),
		d.Repo, d.Key, base, base+"#%", id)
	if err != nil {
		return false, err
	}
	for rows.Next() {
		var other int64
		var run string
		if err := rows.Scan(&other, &run); err != nil {
			rows.Close()
			return false, err
		}
		if b, a := splitRunKey(run); b == base && a < attempt {
			older = append(older, other)
		} else if b == base && a > attempt {
			later = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if later {
		older = []any{id}
	}
	if err := s.deleteRuns(ctx, tx, older); err != nil {
		return false, err
	}
	return later, nil
}

// retain deletes the branch's runs beyond the newest Keep.
func (s *Store) retain(ctx context.Context, tx *sql.Tx, d Digest) error {
	keep := s.Keep
	if keep <= 0 {
		keep = DefaultKeep
	}
	var old []any
	err := func() error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id FROM runs WHERE repo = ? AND job_key = ? AND branch = ? ORDER BY at DESC, id DESC LIMIT ? OFFSET ?`),
			d.Repo, d.Key, d.Branch, 1<<31-1, keep)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			old = append(old, id)
		}
		return rows.Err()
	}()
	if err != nil {
		return err
	}
	return s.deleteRuns(ctx, tx, old)
}

// deleteRuns deletes runs and what they recorded (without relying on the engine's
// cascade, which SQLite applies only with foreign keys on).
func (s *Store) deleteRuns(ctx context.Context, tx *sql.Tx, ids []any) error {
	for i := 0; i < len(ids); i += 500 {
		part := ids[i:min(i+500, len(ids))]
		in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(part)), ", ") + ")"
		for _, table := range []string{"tests", "findings"} {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE run_id IN `+in), part...); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM runs WHERE id IN `+in), part...); err != nil {
			return err
		}
	}
	return nil
}

// values is "(?, ?), (?, ?)" for rows rows of cols columns.
func values(rows, cols int) string {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(row+", ", rows), ", ")
}

// Recorded says which of the given run IDs the scope has already recorded.
func (s *Store) Recorded(ctx context.Context, sc Scope) (map[string]bool, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT run FROM runs WHERE repo = ? AND job_key = ?`), sc.Repo, sc.Key)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var run string
		if err := rows.Scan(&run); err != nil {
			return nil, err
		}
		seen[run] = true
	}
	return seen, rows.Err()
}

// Run is one recorded base-branch run as the labels need it.
type Run struct {
	SHA, Tree, ID string
	Time          time.Time
	Failed        map[TestKey]string // tests that did not simply pass: failed, error, flaky
	Findings      []Finding
}

// TestKey identifies a test across runs.
type TestKey struct{ Suite, Class, Name string }

// Window is the base branch's last runs, newest first, and what runs of the same tree
// (on any branch) said.
type Window struct {
	Branch   string
	Runs     []Run
	SameTree map[TestKey]map[string]bool // outcomes of the tests in runs of the same tree
}

// Window reads the last n runs of branch in the scope, and the outcomes recorded for
// tree (if not empty).
func (s *Store) Window(ctx context.Context, sc Scope, branch string, n int, tree string) (Window, error) {
	w := Window{Branch: branch}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, sha, tree, run, at FROM runs WHERE repo = ? AND job_key = ? AND branch = ?
		ORDER BY at DESC, id DESC LIMIT ?`), sc.Repo, sc.Key, branch, n)
	if err != nil {
		return w, err
	}
	var ids []any
	byID := map[int64]int{}
	for rows.Next() {
		var r Run
		var id, at int64
		if err := rows.Scan(&id, &r.SHA, &r.Tree, &r.ID, &at); err != nil {
			rows.Close()
			return w, err
		}
		r.Time, r.Failed = time.UnixMilli(at).UTC(), map[TestKey]string{}
		byID[id] = len(w.Runs)
		ids = append(ids, id)
		w.Runs = append(w.Runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return w, err
	}
	if err := s.runDetails(ctx, &w, ids, byID); err != nil {
		return w, err
	}
	if tree == "" {
		return w, nil
	}
	w.SameTree = map[TestKey]map[string]bool{}
	err = s.each(ctx, `SELECT t.suite, t.class, t.name, t.status FROM tests t JOIN runs r ON t.run_id = r.id
		WHERE r.repo = ? AND r.job_key = ? AND r.tree = ?`, []any{sc.Repo, sc.Key, tree},
		func(sc func(...any) error) error {
			var k TestKey
			var st string
			if err := sc(&k.Suite, &k.Class, &k.Name, &st); err != nil {
				return err
			}
			if w.SameTree[k] == nil {
				w.SameTree[k] = map[string]bool{}
			}
			w.SameTree[k][st] = true
			return nil
		})
	return w, err
}

// runDetails reads the window's runs' failed tests and findings.
func (s *Store) runDetails(ctx context.Context, w *Window, ids []any, byID map[int64]int) error {
	if len(ids) == 0 {
		return nil
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + ")"
	if err := s.each(ctx, `SELECT run_id, suite, class, name, status FROM tests WHERE run_id IN `+in+` AND status <> 'passed' AND status <> 'skipped'`, ids,
		func(sc func(...any) error) error {
			var id int64
			var k TestKey
			var st string
			if err := sc(&id, &k.Suite, &k.Class, &k.Name, &st); err != nil {
				return err
			}
			w.Runs[byID[id]].Failed[k] = st
			return nil
		}); err != nil {
		return err
	}
	return s.each(ctx, `SELECT run_id, fingerprint, category, subject, message FROM findings WHERE run_id IN `+in, ids,
		func(sc func(...any) error) error {
			var id int64
			var f Finding
			if err := sc(&id, &f.Fingerprint, &f.Category, &f.Subject, &f.Message); err != nil {
				return err
			}
			w.Runs[byID[id]].Findings = append(w.Runs[byID[id]].Findings, f)
			return nil
		})
}

// each runs a query and calls row for each row with its Scan.
func (s *Store) each(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
