package access

import (
	"fmt"
	"testing"
)

// "The meaning of public" (Amazon S3 User Guide; API Reference,
// PublicAccessBlockConfiguration), statement by statement.
func TestPolicyIsPublic(t *testing.T) {
	stmt := func(effect, principal, action, cond string) string {
		s := fmt.Sprintf(`{"Effect":%q,"Principal":%s,"Action":%q,"Resource":"arn:aws:s3:::b/*"`, effect, principal, action)
		if cond != "" {
			s += `,"Condition":` + cond
		}
		return s + "}"
	}
	cases := []struct {
		name   string
		stmts  []string
		public bool
	}{
		{"everyone may read", []string{stmt("Allow", `"*"`, "s3:GetObject", "")}, true},
		{"AWS * may read", []string{stmt("Allow", `{"AWS":"*"}`, "s3:GetObject", "")}, true},
		{"everyone s3:*", []string{stmt("Allow", `"*"`, "s3:*", "")}, true},
		{"everyone *", []string{stmt("Allow", `"*"`, "*", "")}, true},
		{"everyone s3:Put*", []string{stmt("Allow", `"*"`, "s3:Put*", "")}, true},
		{"everyone s3:Ge*", []string{stmt("Allow", `"*"`, "s3:Ge*", "")}, true},
		{"everyone s3:ListBucket", []string{stmt("Allow", `"*"`, "s3:ListBucket", "")}, true},
		{"everyone s3:RestoreObject", []string{stmt("Allow", `"*"`, "s3:RestoreObject", "")}, true},
		// Not a bad action: not public.
		{"everyone s3:CreateBucket only", []string{stmt("Allow", `"*"`, "s3:CreateBucket", "")}, false},
		{"a fixed account", []string{stmt("Allow", `{"AWS":"bob"}`, "s3:GetObject", "")}, false},
		{"a Deny to everyone", []string{stmt("Deny", `"*"`, "s3:*", "")}, false},
		{"limited to CIDRs", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.1.1/32"]}}`)}, false},
		{"limited to 0.0.0.0/0", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`)}, true},
		{"NotIpAddress", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`)}, true},
		{"a fixed SourceVpc", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"StringEquals":{"aws:SourceVpc":"vpc-1"}}`)}, false},
		{"a fixed SourceAccount", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"StringEquals":{"aws:SourceAccount":"111122223333"}}`)}, false},
		{"a wildcard SourceArn", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"ArnLike":{"aws:SourceArn":"arn:aws:iam::*:role/x"}}`)}, true},
		{"a fixed SourceArn", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"ArnEquals":{"aws:SourceArn":"arn:aws:iam::111122223333:role/x"}}`)}, false},
		{"aws:userid AROLEID:*", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"StringLike":{"aws:userid":"AROAEXAMPLE:*"}}`)}, true},
		{"a referer condition does not fix", []string{stmt("Allow", `"*"`, "s3:GetObject", `{"StringLike":{"aws:Referer":"https://example.com/*"}}`)}, true},
		{"one public statement among others", []string{stmt("Allow", `{"AWS":"bob"}`, "s3:*", ""), stmt("Allow", `"*"`, "s3:GetObject", "")}, true},
	}
	for _, c := range cases {
		doc := `{"Version":"2012-10-17","Statement":[`
		for i, s := range c.stmts {
			if i > 0 {
				doc += ","
			}
			doc += s
		}
		doc += "]}"
		p, err := ParsePolicy([]byte(doc), "b")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := p.IsPublic(); got != c.public {
			t.Errorf("%s: IsPublic %v, want %v", c.name, got, c.public)
		}
	}
	var none *Policy
	if none.IsPublic() {
		t.Error("a nil policy is public")
	}
}
