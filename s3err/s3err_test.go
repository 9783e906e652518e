package s3err

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"
)

// Every Code constant declared in s3err.go has a row: a status that is
// an error (or 304) and a message.
func TestEveryCodeHasARow(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "s3err.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		vs, ok := node.(*ast.ValueSpec)
		if !ok || vs.Type == nil {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
			return true
		}
		for _, name := range vs.Names {
			n++
			row, ok := Lookup(Code(name.Name))
			if !ok {
				t.Errorf("%s has no row", name.Name)
				continue
			}
			if row.Status < 300 || row.Status > 599 || row.Message == "" {
				t.Errorf("%s: row %+v", name.Name, row)
			}
		}
		return true
	})
	if n < 40 || n != len(Codes()) {
		t.Errorf("%d constants, %d rows", n, len(Codes()))
	}
}

// A constant's value is its own name, as sent in <Code>.
func TestCodeValues(t *testing.T) {
	if AccessDenied != "AccessDenied" || KeyTooLongError != "KeyTooLongError" {
		t.Fatal("code values differ from their names")
	}
	if _, ok := Lookup("NoSuchThing"); ok {
		t.Fatal("an unknown code has a row")
	}
}
