package caddys3

import (
	"encoding/xml"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddys3/caddys3/internal/s3errtest"
	"github.com/caddys3/caddys3/s3err"
)

// Every error is built from the table: newError(code) with the code's
// default text, or newTextError(s3err.X) with one of the s3err Text vars.
// Nothing else sets a message, builds an apiError or a Text, and every
// Text var is answered somewhere.
func TestErrorsAreBuiltFromTheTable(t *testing.T) {
	texts := map[string]bool{}
	for _, d := range s3errtest.Texts(t, "../s3err") {
		texts[d.Name] = false
	}
	fset := token.NewFileSet()
	for _, dir := range []string{".", "../access", "../auth"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "s3err" {
						if _, known := texts[sel.Sel.Name]; known {
							texts[sel.Sel.Name] = true
						}
					}
				}
				return true
			})
			if dir == "." {
				checkErrorConstruction(t, fset, f)
			}
		}
	}
	for name, used := range texts {
		if !used {
			t.Errorf("s3err.%s is never answered", name)
		}
	}
}

// checkErrorConstruction fails t where f builds an error's message other
// than through the table.
func checkErrorConstruction(t *testing.T, fset *token.FileSet, f *ast.File) {
	t.Helper()
	file := filepath.Base(fset.Position(f.Pos()).Filename)
	for _, d := range f.Decls {
		fn, _ := d.(*ast.FuncDecl)
		fname := ""
		if fn != nil {
			fname = fn.Name.Name
			if fname == "withMessage" {
				t.Errorf("%s: withMessage is back", file)
			}
		}
		ast.Inspect(d, func(n ast.Node) bool {
			if n == nil {
				return false
			}
			pos := fset.Position(n.Pos())
			switch n := n.(type) {
			case *ast.AssignStmt:
				for _, lhs := range n.Lhs {
					if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Message" && fname != "newTextError" {
						t.Errorf("%s: a message set outside newTextError", pos)
					}
				}
			case *ast.CompositeLit:
				switch typ := n.Type.(type) {
				case *ast.Ident:
					if typ.Name == "apiError" && fname != "newError" {
						t.Errorf("%s: an apiError built outside newError", pos)
					}
				case *ast.SelectorExpr:
					if typ.Sel.Name == "Text" {
						t.Errorf("%s: an s3err.Text built outside package s3err", pos)
					}
				}
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "newTextError" {
					fromTable := false
					if sel, ok := n.Args[0].(*ast.SelectorExpr); ok {
						x, ok := sel.X.(*ast.Ident)
						fromTable = ok && x.Name == "s3err"
					}
					// errors.go passes on a Text it took from the table
					// (sentinelCodes, textOr).
					if !fromTable && file != "errors.go" {
						t.Errorf("%s: newTextError without an s3err Text var", pos)
					}
				}
			}
			return true
		})
	}
}

// Every code and every Text renders as an S3 <Error> document with its
// code, status and text.
func TestEveryErrorRenders(t *testing.T) {
	check := func(e *apiError, status int, code s3err.Code, msg string) {
		t.Helper()
		rec := httptest.NewRecorder()
		writeError(rec, httptest.NewRequest("GET", "/b/k", nil), "REQ", e)
		if rec.Code != status {
			t.Errorf("%s: status %d, want %d", code, rec.Code, status)
		}
		if status == 304 {
			return
		}
		var doc struct {
			Code    s3err.Code
			Message string
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil || doc.Code != code || doc.Message != msg || msg == "" {
			t.Errorf("%s: %s %q (%v), want %q", code, doc.Code, doc.Message, err, msg)
		}
	}
	for _, c := range s3err.Codes() {
		row, _ := s3err.Lookup(c)
		check(newError(c), row.Status, c, row.Message)
	}
	for _, d := range s3errtest.Texts(t, "../s3err") {
		row, _ := s3err.Lookup(d.Text.Code)
		args := s3errtest.Args(d.Text)
		check(newTextError(d.Text, args...), row.Status, d.Text.Code, d.Text.Message(args...))
	}
}

// A detail another package wrote is the message only when it is one of
// AWS's texts for the code; any other gets the code's default.
func TestTextOr(t *testing.T) {
	texts := []s3err.Text{s3err.PresignRegion, s3err.PresignExpiresNeg}
	for _, c := range []struct{ msg, want string }{
		{"Error parsing the X-Amz-Credential parameter; the region 'eu' is wrong; expecting 'us'", "Error parsing the X-Amz-Credential parameter; the region 'eu' is wrong; expecting 'us'"},
		{"X-Amz-Expires must be non-negative", "X-Amz-Expires must be non-negative"},
		{"some internal detail", "Error parsing the X-Amz-Credential parameter or other query authentication parameters."},
	} {
		if got := textOr(s3err.AuthorizationQueryParametersError, c.msg, texts).Message; got != c.want {
			t.Errorf("textOr(%q) = %q", c.msg, got)
		}
	}
	// A text of another code never applies.
	if got := textOr(s3err.InvalidRequest, "X-Amz-Expires must be non-negative", texts).Message; got != "Invalid Request" {
		t.Errorf("another code's text applied: %q", got)
	}
}

func TestHexBytes(t *testing.T) {
	if got := hexBytes("AWS4\n\x00\xff"); got != "41 57 53 34 0a 00 ff" {
		t.Errorf("hexBytes = %q", got)
	}
	if hexBytes("") != "" {
		t.Error("hexBytes of nothing")
	}
}
