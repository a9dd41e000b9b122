package lazyre

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewCompilesOnFirstUseOnly(t *testing.T) {
	var r registry
	bad := r.add(`(`) // registering an invalid expression does not panic
	good := r.add(`^a+$`)
	if got := good(); !got.MatchString("aaa") || got != good() {
		t.Fatalf("good() = %v, want one compiled ^a+$ on every call", got)
	}
	if err := r.check(); err == nil || !strings.Contains(err.Error(), "missing closing )") {
		t.Fatalf("check() = %v, want the invalid expression's error", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("calling an invalid expression did not panic")
		}
	}()
	bad()
}

// TestNoStartupRegexps fails on a package-level variable initialised with a regexp
// compiled at start-up (regexp.MustCompile or regexp.Compile) in ci-report's own code,
// test files aside: those go through New.
func TestNoStartupRegexps(t *testing.T) {
	root := filepath.Join("..", "..")
	var bad []string
	fset := token.NewFileSet()
	for _, dir := range []string{"internal", "cmd"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				gd, ok := decl.(*ast.GenDecl)
				if !ok || gd.Tok != token.VAR {
					continue
				}
				ast.Inspect(gd, func(n ast.Node) bool {
					if _, ok := n.(*ast.FuncLit); ok {
						return false // compiled when the function runs, not at start-up
					}
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == "regexp" && (sel.Sel.Name == "MustCompile" || sel.Sel.Name == "Compile") {
							bad = append(bad, fset.Position(call.Pos()).String())
						}
					}
					return true
				})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(bad) > 0 {
		t.Errorf("package-level regexps compiled at start-up (use lazyre.New):\n%s", strings.Join(bad, "\n"))
	}
}
