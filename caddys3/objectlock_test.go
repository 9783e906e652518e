package caddys3

import (
	"encoding/xml"
	"testing"

	"github.com/caddys3/caddys3/fsstore"
	"github.com/caddys3/caddys3/s3err"
)

// lockConfigOf validates PutObjectLockConfiguration's document as S3 does
// (request syntax: ObjectLockEnabled Enabled, one Mode, exactly one of
// Days and Years; versitygw InvalidArgObjectLockRetentionDays/Years for a
// period that is not positive).
func TestLockConfigOf(t *testing.T) {
	rule := func(dr string) string {
		return `<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>` + dr + `</DefaultRetention></Rule></ObjectLockConfiguration>`
	}
	for _, c := range []struct {
		doc  string
		want fsstore.ObjectLockConfig
		code s3err.Code
	}{
		{`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>`, fsstore.ObjectLockConfig{}, ""},
		{rule(`<Mode>GOVERNANCE</Mode><Days>3</Days>`), fsstore.ObjectLockConfig{Mode: "GOVERNANCE", Days: 3}, ""},
		{rule(`<Mode>COMPLIANCE</Mode><Years> 2 </Years>`), fsstore.ObjectLockConfig{Mode: "COMPLIANCE", Years: 2}, ""},
		{`<ObjectLockConfiguration></ObjectLockConfiguration>`, fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{`<ObjectLockConfiguration><ObjectLockEnabled>enabled</ObjectLockEnabled></ObjectLockConfiguration>`, fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule/></ObjectLockConfiguration>`, fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{rule(`<Mode>GOVERNANCE</Mode>`), fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{rule(`<Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years>`), fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{rule(`<Mode>Governance</Mode><Days>1</Days>`), fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{rule(`<Days>1</Days>`), fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{rule(`<Mode>GOVERNANCE</Mode><Days>1.5</Days>`), fsstore.ObjectLockConfig{}, s3err.MalformedXML},
		{rule(`<Mode>GOVERNANCE</Mode><Days>0</Days>`), fsstore.ObjectLockConfig{}, s3err.InvalidArgument},
		{rule(`<Mode>COMPLIANCE</Mode><Years>-4</Years>`), fsstore.ObjectLockConfig{}, s3err.InvalidArgument},
	} {
		var doc objectLockConfiguration
		if err := xml.Unmarshal([]byte(c.doc), &doc); err != nil {
			t.Fatalf("%s: %v", c.doc, err)
		}
		got, err := lockConfigOf(doc)
		switch {
		case c.code == "" && (err != nil || got != c.want):
			t.Errorf("%s: %+v %v, want %+v", c.doc, got, err, c.want)
		case c.code != "" && !isCode(err, c.code):
			t.Errorf("%s: %v, want %s", c.doc, err, c.code)
		}
	}
}
