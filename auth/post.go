package auth

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Browser-based POST uploads: the form carries a base64 JSON policy document
// and its signature (SigV4: x-amz-algorithm, x-amz-credential, x-amz-date,
// x-amz-signature; SigV2: AWSAccessKeyId, signature). The policy's
// conditions constrain every other form field.

// POST-specific sentinels. Each maps to its own S3 error code.
var (
	// ErrMalformedPOSTRequest: S3 MalformedPOSTRequest (400), the body is
	// not well-formed multipart/form-data.
	ErrMalformedPOSTRequest = errors.New("MalformedPOSTRequest")
	// ErrInvalidPolicyDocument: S3 InvalidPolicyDocument (400), the policy
	// is not base64 JSON of the documented shape.
	ErrInvalidPolicyDocument = errors.New("InvalidPolicyDocument")
	// ErrPostPreDataTooLarge: S3 MaxPostPreDataLengthExceededError (400),
	// the fields before the file are too large.
	ErrPostPreDataTooLarge = errors.New("MaxPostPreDataLengthExceededError")
	// ErrIncorrectNumberOfFiles: S3 IncorrectNumberOfFilesInPostRequest
	// (400), the form has no file field.
	ErrIncorrectNumberOfFiles = errors.New("IncorrectNumberOfFilesInPostRequest")
	// ErrPostMissingField: S3 InvalidArgument (400), a required form field
	// is missing; wrapped with the field's name.
	ErrPostMissingField = errors.New("InvalidArgument: missing POST form field")
)

// PolicyError is a POST policy violation; S3 answers AccessDenied with the
// message "Invalid according to Policy: <detail>". errors.Is(err,
// ErrAccessDenied) is true for it.
type PolicyError struct {
	Detail string
}

func (e *PolicyError) Error() string { return "Invalid according to Policy: " + e.Detail }

// Is makes the typed error match ErrAccessDenied.
func (e *PolicyError) Is(target error) bool { return target == ErrAccessDenied }

// PostPolicy is a decoded POST policy document.
type PostPolicy struct {
	Expiration time.Time
	Conditions []PolicyCondition
}

// PolicyCondition is one condition of a POST policy. Op is "eq",
// "starts-with" or "content-length-range"; Field is the lower-case form
// field name without '$' (empty for content-length-range).
type PolicyCondition struct {
	Op       string
	Field    string
	Value    string
	Min, Max int64  // content-length-range
	raw      string // the condition as written, for error messages
}

// maxPolicyConditions bounds the work one policy can cause.
const maxPolicyConditions = 256

// ParsePostPolicy decodes a base64 policy document.
func ParsePostPolicy(b64 string) (*PostPolicy, error) {
	doc, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("%w: Invalid Policy: Invalid Base64 Encoding.", ErrInvalidPolicyDocument)
	}
	raw, err := decodePolicyDocument(doc)
	if err != nil {
		return nil, err
	}
	if raw.Expiration == nil {
		return nil, fmt.Errorf("%w: Invalid Policy: Policy missing expiration.", ErrInvalidPolicyDocument)
	}
	exp, err := parsePolicyTime(*raw.Expiration)
	if err != nil {
		return nil, fmt.Errorf("%w: Invalid Policy: Invalid 'expiration' value: '%s'", ErrInvalidPolicyDocument, *raw.Expiration)
	}
	if raw.Conditions == nil {
		return nil, fmt.Errorf("%w: Invalid Policy: Policy missing conditions.", ErrInvalidPolicyDocument)
	}
	if len(raw.Conditions) > maxPolicyConditions {
		return nil, fmt.Errorf("%w: Invalid Policy: too many conditions.", ErrInvalidPolicyDocument)
	}
	p := &PostPolicy{Expiration: exp}
	for _, c := range raw.Conditions {
		conds, err := parseCondition(c)
		if err != nil {
			return nil, err
		}
		p.Conditions = append(p.Conditions, conds...)
	}
	return p, nil
}

// policyDocument is the top level of a POST policy.
type policyDocument struct {
	Expiration *string
	Conditions []json.RawMessage
}

// decodePolicyDocument reads the top level of a policy. Its keys are
// case-sensitive ("CONDITIONS" is not "conditions": ceph/s3-tests'
// test_post_object_condition_is_case_sensitive and
// test_post_object_expires_is_case_sensitive expect 400 from S3), which
// encoding/json's struct fields are not, so the keys are matched here.
func decodePolicyDocument(doc []byte) (policyDocument, error) {
	var raw policyDocument
	var top map[string]json.RawMessage
	invalid := fmt.Errorf("%w: Invalid Policy: Invalid JSON.", ErrInvalidPolicyDocument)
	if err := json.Unmarshal(doc, &top); err != nil {
		return raw, invalid
	}
	if v, ok := top["expiration"]; ok {
		if err := json.Unmarshal(v, &raw.Expiration); err != nil {
			return raw, invalid
		}
	}
	if v, ok := top["conditions"]; ok {
		if err := json.Unmarshal(v, &raw.Conditions); err != nil {
			return raw, invalid
		}
	}
	return raw, nil
}

func parsePolicyTime(s string) (time.Time, error) {
	// RFC 3339 with optional fractional seconds, as AWS documents and the
	// SDKs write it ("2007-12-01T12:00:00.000Z").
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	return t, nil
}

func badCondition(raw json.RawMessage, why string) error {
	s := string(raw)
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return fmt.Errorf("%w: Invalid Policy: Invalid Condition (%s): %s", ErrInvalidPolicyDocument, why, s)
}

// parseCondition parses {"field": "value"} (one or more exact matches) or
// ["eq"|"starts-with", "$field", "value"] or ["content-length-range", min,
// max].
func parseCondition(raw json.RawMessage) ([]PolicyCondition, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, badCondition(raw, "empty")
	}
	switch raw[0] {
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, badCondition(raw, "not an object")
		}
		if len(m) == 0 {
			return nil, badCondition(raw, "empty object")
		}
		var out []PolicyCondition
		for k, v := range m {
			val, ok := scalarString(v)
			if !ok {
				return nil, badCondition(raw, "value is not a string")
			}
			out = append(out, PolicyCondition{Op: "eq", Field: strings.ToLower(strings.TrimPrefix(k, "$")), Value: val, raw: condText(k, val)})
		}
		return out, nil
	case '[':
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil {
			return nil, badCondition(raw, "not an array")
		}
		if len(arr) != 3 {
			return nil, badCondition(raw, "wrong number of arguments")
		}
		op, ok := scalarString(arr[0])
		if !ok {
			return nil, badCondition(raw, "operation is not a string")
		}
		op = strings.ToLower(op)
		switch op {
		case "eq", "starts-with":
			name, ok1 := scalarString(arr[1])
			val, ok2 := scalarString(arr[2])
			if !ok1 || !ok2 || !strings.HasPrefix(name, "$") || len(name) < 2 {
				return nil, badCondition(raw, "expected [\""+op+"\", \"$field\", \"value\"]")
			}
			return []PolicyCondition{{Op: op, Field: strings.ToLower(name[1:]), Value: val, raw: string(raw)}}, nil
		case "content-length-range":
			lo, ok1 := scalarInt(arr[1])
			hi, ok2 := scalarInt(arr[2])
			if !ok1 || !ok2 || lo < 0 || hi < lo {
				return nil, badCondition(raw, "expected [\"content-length-range\", min, max]")
			}
			return []PolicyCondition{{Op: op, Min: lo, Max: hi, raw: string(raw)}}, nil
		}
		return nil, badCondition(raw, "unknown operation")
	}
	return nil, badCondition(raw, "not an object or array")
}

// condText writes an exact-match condition as S3 quotes it in errors:
// ["eq", "$name", "value"].
func condText(k, v string) string {
	name, _ := json.Marshal("$" + strings.TrimPrefix(k, "$"))
	val, _ := json.Marshal(v)
	return `["eq", ` + string(name) + `, ` + string(val) + `]`
}

// scalarString accepts a JSON string, or a number written as one (policies
// in the wild write {"success_action_status": 201}).
func scalarString(raw json.RawMessage) (string, bool) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var n json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&n); err == nil {
		return n.String(), true
	}
	return "", false
}

func scalarInt(raw json.RawMessage) (int64, bool) {
	s, ok := scalarString(raw)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// postExempt reports whether a form field needs no policy condition: the
// signature fields themselves, the file, the policy and x-ignore-* fields.
func postExempt(name string) bool {
	switch name {
	case "x-amz-signature", "signature", "awsaccesskeyid", "file", "policy", "bucket":
		return true
	}
	return strings.HasPrefix(name, "x-ignore-")
}

// Check evaluates the policy at now against the form fields (keyed by
// lower-case name; "bucket" is the addressed bucket, "key" the key after
// ${filename} substitution). It returns the content-length-range bounds (or
// 0 and -1 when the policy sets none). The file's size is checked by the
// caller while it streams.
func (p *PostPolicy) Check(now time.Time, fields map[string]string) (minLen, maxLen int64, err error) {
	if !now.Before(p.Expiration) {
		return 0, -1, &PolicyError{Detail: "Policy expired."}
	}
	minLen, maxLen = 0, -1
	covered := map[string]bool{}
	for _, c := range p.Conditions {
		switch c.Op {
		case "content-length-range":
			minLen, maxLen = c.Min, c.Max
			continue
		case "eq":
			if fields[c.Field] != c.Value {
				return 0, -1, &PolicyError{Detail: "Policy Condition failed: " + c.raw}
			}
		case "starts-with":
			val := fields[c.Field]
			ok := strings.HasPrefix(val, c.Value)
			if c.Field == "content-type" && ok {
				// S3 accepts a comma-separated list of types, each of
				// which must match.
				for t := range strings.SplitSeq(val, ",") {
					ok = ok && strings.HasPrefix(strings.TrimSpace(t), c.Value)
				}
			}
			if !ok {
				return 0, -1, &PolicyError{Detail: "Policy Condition failed: " + c.raw}
			}
		}
		covered[c.Field] = true
	}
	var extra []string
	for name := range fields {
		if !covered[name] && !postExempt(name) {
			extra = append(extra, name)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return 0, -1, &PolicyError{Detail: "Extra input fields: " + strings.Join(extra, ", ")}
	}
	return minLen, maxLen, nil
}

// PostAuth is a verified POST upload.
type PostAuth struct {
	Principal Principal
	// MinLength and MaxLength are the policy's content-length-range;
	// MaxLength is -1 when the policy sets no upper bound.
	MinLength, MaxLength int64
}

// VerifyPost authenticates a browser POST upload. fields are the form
// fields before the file, keyed by lower-case name, with "key" already
// ${filename}-substituted; bucket is the addressed bucket. A form without
// policy and signature is anonymous (Principal.Anonymous): whether that is
// allowed is the caller's decision. The signature is checked before the
// policy, so nobody learns about a policy they could not have signed.
func (v *Verifier) VerifyPost(ctx context.Context, bucket string, fields map[string]string) (*PostAuth, error) {
	get := func(name string) string { return fields[name] }
	policy := get("policy")
	_, hasV4 := fields["x-amz-signature"]
	_, hasV2 := fields["signature"]
	_, hasAlg := fields["x-amz-algorithm"]
	if policy == "" && !hasV4 && !hasV2 && !hasAlg {
		if _, ok := fields["awsaccesskeyid"]; !ok {
			return &PostAuth{Principal: Principal{Anonymous: true, Method: "anonymous"}, MaxLength: -1}, nil
		}
	}
	if policy == "" {
		return nil, fmt.Errorf("%w: Bucket POST must contain a field named 'policy'.", ErrPostMissingField)
	}
	var (
		cred   Credential
		method string
		err    error
	)
	if hasAlg || hasV4 {
		cred, err = v.verifyPostV4(ctx, fields)
		method = "v4-post"
	} else {
		cred, err = v.verifyPostV2(ctx, fields)
		method = "v2-post"
	}
	if err != nil {
		return nil, err
	}
	p, err := ParsePostPolicy(policy)
	if err != nil {
		return nil, err
	}
	check := make(map[string]string, len(fields)+1)
	for k, val := range fields {
		check[k] = val
	}
	check["bucket"] = bucket
	lo, hi, err := p.Check(v.now(), check)
	if err != nil {
		return nil, err
	}
	return &PostAuth{Principal: Principal{Credential: cred, Method: method}, MinLength: lo, MaxLength: hi}, nil
}

func (v *Verifier) verifyPostV4(ctx context.Context, fields map[string]string) (Credential, error) {
	alg, credStr, amzDate, sig := fields["x-amz-algorithm"], fields["x-amz-credential"], fields["x-amz-date"], fields["x-amz-signature"]
	switch alg {
	case algoV4:
	case algoV4A:
		return Credential{}, fmt.Errorf("%w: %s", ErrUnsupportedSignatureAlgorithm, alg)
	case "":
		return Credential{}, fmt.Errorf("%w: Bucket POST must contain a field named 'x-amz-algorithm'.", ErrPostMissingField)
	default:
		return Credential{}, fmt.Errorf("%w: the x-amz-algorithm %q is not supported", ErrInvalidRequest, alg)
	}
	for _, f := range []struct{ name, val string }{{"x-amz-credential", credStr}, {"x-amz-date", amzDate}, {"x-amz-signature", sig}} {
		if f.val == "" {
			return Credential{}, fmt.Errorf("%w: Bucket POST must contain a field named '%s'.", ErrPostMissingField, f.name)
		}
	}
	c, ok := parseCredential(credStr)
	if !ok {
		return Credential{}, malformedHeader("Error parsing the X-Amz-Credential field")
	}
	if _, err := time.Parse(amzDateFormat, amzDate); err != nil {
		return Credential{}, malformedHeader("x-amz-date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if err := v.checkScope(c, amzDate, false); err != nil {
		return Credential{}, err
	}
	cred, err := v.Provider.Lookup(ctx, c.accessKey)
	if err != nil {
		return Credential{}, err
	}
	policy := fields["policy"]
	key := v.keys.get(cred.Secret, c.date, c.region, c.service)
	want := key.sign(policy)
	got, err := hex.DecodeString(sig)
	if err != nil || !hmac.Equal(want, got) {
		return Credential{}, &SignatureMismatchError{StringToSign: policy, AccessKeyID: c.accessKey, SignatureProvided: sig}
	}
	return cred, nil
}

func (v *Verifier) verifyPostV2(ctx context.Context, fields map[string]string) (Credential, error) {
	ak, sig := fields["awsaccesskeyid"], fields["signature"]
	if ak == "" {
		return Credential{}, fmt.Errorf("%w: Bucket POST must contain a field named 'AWSAccessKeyId'.", ErrPostMissingField)
	}
	if sig == "" {
		return Credential{}, fmt.Errorf("%w: Bucket POST must contain a field named 'signature'.", ErrPostMissingField)
	}
	cred, err := v.Provider.Lookup(ctx, ak)
	if err != nil {
		return Credential{}, err
	}
	policy := fields["policy"]
	mac := hmac.New(sha1.New, []byte(cred.Secret))
	mac.Write([]byte(policy))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(strings.TrimSpace(sig))) {
		return Credential{}, &SignatureMismatchError{StringToSign: policy, AccessKeyID: ak, SignatureProvided: sig}
	}
	return cred, nil
}
