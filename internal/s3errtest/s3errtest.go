// Package s3errtest finds the error texts declared in package s3err's
// source, for the tests that every error is built from the table.
package s3errtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/s3err"
)

// Decl is one exported var of type s3err.Text declared in s3err/*.go.
type Decl struct {
	Name, File string
	Text       s3err.Text
	// Documented: a comment cites its source (on it, or on the run of
	// Text vars it continues without a blank line).
	Documented bool
}

// Texts returns every exported Text var of the s3err sources in dir (any
// file but tests), failing t on a declaration it cannot read: a Text var
// must be a literal Text{Code, "format"}.
func Texts(t testing.TB, dir string) []Decl {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []Decl
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			covered, lastLine := gd.Doc != nil && !gd.Lparen.IsValid(), -1
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				line := fset.Position(vs.Pos()).Line
				covered = vs.Doc != nil || covered && (lastLine < 0 || line == lastLine+1)
				lastLine = fset.Position(vs.End()).Line
				for i, id := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					cl, ok := vs.Values[i].(*ast.CompositeLit)
					if !ok || !isText(cl.Type) {
						continue
					}
					if !id.IsExported() {
						t.Errorf("%s: Text var %s is not exported", name, id.Name)
					}
					txt, ok := literal(cl)
					if !ok {
						t.Errorf("%s: %s is not Text{Code, \"format\"}", name, id.Name)
						continue
					}
					out = append(out, Decl{Name: id.Name, File: filepath.Base(name), Text: txt, Documented: covered})
				}
			}
		}
	}
	return out
}

func isText(e ast.Expr) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "Text"
}

// literal reads Text{Code, "format"} (positional or keyed).
func literal(cl *ast.CompositeLit) (s3err.Text, bool) {
	var txt s3err.Text
	if len(cl.Elts) != 2 {
		return txt, false
	}
	for i, e := range cl.Elts {
		field := []string{"Code", "Format"}[i]
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			field, e = kv.Key.(*ast.Ident).Name, kv.Value
		}
		switch v := e.(type) {
		case *ast.Ident:
			if field != "Code" {
				return txt, false
			}
			txt.Code = s3err.Code(v.Name)
		case *ast.BasicLit:
			s, err := strconv.Unquote(v.Value)
			if field != "Format" || v.Kind != token.STRING || err != nil {
				return txt, false
			}
			txt.Format = s
		default:
			return txt, false
		}
	}
	return txt, true
}

// Args returns placeholder arguments for the text's verbs.
func Args(t s3err.Text) []any {
	var args []any
	for _, v := range t.Verbs() {
		if v == 'd' {
			args = append(args, int64(42))
		} else {
			args = append(args, "arg")
		}
	}
	return args
}
