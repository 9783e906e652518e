package access

import (
	"fmt"
	"testing"
)

// Multivalued keys (s3:RequestObjectTagKeys) under the set operators, as
// the IAM User Guide's "Set operators for multivalued context keys"
// describes them: ForAllValues holds when every request value matches
// (and on a missing key), ForAnyValue when one does (not on a missing
// key); tag keys and values as s3:RequestObjectTag/<key> and
// s3:ExistingObjectTag/<key> single-valued keys.
func TestPolicyMultivaluedKeys(t *testing.T) {
	keys := func(vs ...string) func(*Request) {
		return func(r *Request) { r.Multi = map[string][]string{"s3:requestobjecttagkeys": vs} }
	}
	tag := func(k, v string) func(*Request) { return func(r *Request) { r.Context[k] = v } }
	tests := []struct {
		cond string
		mod  func(*Request)
		want bool
	}{
		{`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}`, keys("team"), true},
		{`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}`, keys("team", "env"), true},
		{`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}`, keys("team", "cost"), false},
		{`{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["team","env"]}}`, nil, true},
		{`{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["env"]}}`, keys("team", "env"), true},
		{`{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["env"]}}`, keys("team"), false},
		{`{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["env"]}}`, nil, false},
		{`{"ForAnyValue:StringLike":{"s3:RequestObjectTagKeys":["c*"]}}`, keys("team", "cost"), true},
		{`{"ForAllValues:StringNotEquals":{"s3:RequestObjectTagKeys":["secret"]}}`, keys("team", "env"), true},
		{`{"ForAllValues:StringNotEquals":{"s3:RequestObjectTagKeys":["secret"]}}`, keys("team", "secret"), false},
		{`{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["team"]}}`, keys("team"), false},
		{`{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":["team"]}}`, keys("team", "env"), true},
		// Without a set operator: any value matches; negated: none does.
		{`{"StringEquals":{"s3:RequestObjectTagKeys":"env"}}`, keys("team", "env"), true},
		{`{"StringEquals":{"s3:RequestObjectTagKeys":"env"}}`, keys("team"), false},
		{`{"StringNotEquals":{"s3:RequestObjectTagKeys":"env"}}`, keys("team", "env"), false},
		{`{"StringNotEquals":{"s3:RequestObjectTagKeys":"env"}}`, keys("team"), true},
		{`{"Null":{"s3:RequestObjectTagKeys":"false"}}`, keys("team"), true},
		{`{"Null":{"s3:RequestObjectTagKeys":"false"}}`, nil, false},
		{`{"Null":{"s3:RequestObjectTagKeys":"true"}}`, keys("team"), false},
		{`{"Null":{"s3:RequestObjectTagKeys":"true"}}`, nil, true},
		// Tag keys: the key name part is matched lower-cased, as the
		// handler stores it; values are case-sensitive.
		{`{"StringEquals":{"s3:ExistingObjectTag/Class":"public"}}`, tag("s3:existingobjecttag/class", "public"), true},
		{`{"StringEquals":{"s3:ExistingObjectTag/Class":"public"}}`, tag("s3:existingobjecttag/class", "Public"), false},
		{`{"StringEquals":{"s3:ExistingObjectTag/Class":"public"}}`, nil, false},
		{`{"StringEquals":{"s3:RequestObjectTag/team":"blue"}}`, tag("s3:requestobjecttag/team", "blue"), true},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			p := mustPolicy(t, doc(`{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":`+tt.cond+`}`))
			r := baseRequest()
			if tt.mod != nil {
				tt.mod(&r)
			}
			want := NoOpinion
			if tt.want {
				want = Allow
			}
			if got := p.Evaluate(r); got != want {
				t.Errorf("%s: Evaluate = %v, want %v", tt.cond, got, want)
			}
		})
	}
}
