package access

import (
	"net"
	"testing"
)

// publicPolicy is CloudStack's "public" bucket policy.
const publicPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Public","Effect":"Allow","Principal":{"AWS":["*"]},` +
	`"Action":["s3:GetObject","s3:ListBucket","s3:GetBucketLocation"],` +
	`"Resource":["arn:aws:s3:::bench","arn:aws:s3:::bench/*"]},` +
	`{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::bench/*",` +
	`"Condition":{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","127.0.0.0/8","::1/128"]}}}]}`

// BenchmarkPolicyParseEvaluate is what one request under a bucket policy
// costs the handler: the stored policy is parsed and evaluated per request.
func BenchmarkPolicyParseEvaluate(b *testing.B) {
	req := Request{Action: "s3:GetObject", Resource: "arn:aws:s3:::bench/photos/2026/cat.jpg",
		Who: Requester{Anonymous: true}, SourceIP: net.ParseIP("127.0.0.1"), Context: map[string]string{}}
	b.ReportAllocs()
	for b.Loop() {
		p, err := ParsePolicy([]byte(publicPolicy), "bench")
		if err != nil {
			b.Fatal(err)
		}
		if p.Evaluate(req) != Allow {
			b.Fatal("not allowed")
		}
	}
}

// BenchmarkACLAllows: the ACL check of an object read.
func BenchmarkACLAllows(b *testing.B) {
	acl, err := Canned("public-read", "alice", "alice", "alice", "alice")
	if err != nil {
		b.Fatal(err)
	}
	who := Requester{ID: "bob"}
	b.ReportAllocs()
	for b.Loop() {
		if !acl.Allows(who, PermRead) {
			b.Fatal("denied")
		}
	}
}
