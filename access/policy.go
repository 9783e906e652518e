package access

import (
	"bytes"
	"encoding/json"
	"github.com/caddys3/caddys3/s3err"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Bucket policies.
//
// Semantics (a subset of AWS IAM evaluation, enough for the policies people
// write for S3 buckets):
//   - Evaluate: any matching Deny statement wins; otherwise any matching Allow
//     allows; otherwise NoOpinion (ACLs and ownership decide).
//   - A statement matches when its principal, action, resource and every
//     condition match. NotPrincipal/NotAction/NotResource invert the list.
//   - Principal "*" and {"AWS":"*"} match everyone, anonymous included. An
//     account ID (bare, or inside arn:aws:iam::<id>:root / :user/... / any
//     arn:aws:iam or arn:aws:sts ARN) and {"CanonicalUser": id} match a
//     non-anonymous Requester with that ID. "Service" and "Federated"
//     principals are accepted but never match.
//   - Action patterns ("*" or "s3:..."), with * and ? wildcards, match
//     case-insensitively. Resource patterns ("*", arn:aws:s3:::<bucket> or
//     arn:aws:s3:::<bucket>/<pattern> for this bucket only) match
//     case-sensitively; * matches any run of characters including "/", ? one
//     character.
//   - Conditions: all operators and all keys inside an operator are ANDed;
//     the values listed for one key are ORed (a negated operator is true when
//     none of them matches). Key names are case-insensitive. A key missing
//     from the request makes a positive operator false and a negated one
//     (StringNotEquals, StringNotLike, NotIpAddress, NumericNotEquals, ...)
//     true, as AWS does; ...IfExists makes any operator true on a missing key;
//     ForAnyValue: is false and ForAllValues: true on a missing key (all keys
//     here are single-valued, so otherwise the prefixes change nothing). A
//     request value of the wrong type (not a number for Numeric*, not an IP
//     for IpAddress, not a date for Date*) makes the condition false.
//     Unknown keys are simply missing. Multivalued keys
//     (s3:RequestObjectTagKeys) follow the set operators: see matchesSet.
//   - Date* compare instants: policy and request values are ISO 8601
//     (2006-01-02T15:04:05Z, a date alone, with or without seconds or a
//     zone) or epoch seconds; aws:CurrentTime and aws:EpochTime come from
//     Request.Time. An unknown operator or a value its operator cannot
//     read is MalformedPolicy when the policy is put.

// Request is what a policy is asked about.
type Request struct {
	Action   string // e.g. "s3:GetObject"
	Resource string // "arn:aws:s3:::bucket" or "arn:aws:s3:::bucket/key"
	Who      Requester
	SourceIP net.IP
	Secure   bool // TLS
	// Time is when the request arrived (aws:CurrentTime, aws:EpochTime);
	// zero leaves both keys missing.
	Time time.Time
	// Context holds the other condition keys by lower-case name: "s3:prefix",
	// "s3:delimiter", "s3:max-keys", "aws:referer", "aws:useragent",
	// "s3:x-amz-acl", ... An absent entry is a missing key.
	Context map[string]string
	// Multi holds the multivalued condition keys by lower-case name
	// ("s3:requestobjecttagkeys"); see matchesSet. An absent or empty
	// entry is a missing key.
	Multi map[string][]string
}

// Policy is a parsed, validated bucket policy.
type Policy struct {
	raw        []byte
	statements []statement
}

type statement struct {
	deny         bool
	principals   principalSet
	notPrincipal bool
	actions      []string // lower-case patterns
	notAction    bool
	resources    []string
	notResource  bool
	conditions   []condition
}

type principalSet struct {
	any bool            // "*"
	ids map[string]bool // account / canonical user IDs
}

const resourcePrefix = "arn:aws:s3:::"

func malformed(msg string) error { return errorf(s3err.MalformedPolicy, msg) }

var errNotJSON = malformed("Policies must be valid JSON and the first byte must be '{'")

// ParsePolicy parses and validates a bucket policy for bucket. Every error is
// an *Error with Code "MalformedPolicy". Leading JSON whitespace before the
// '{' is tolerated. The size limit is the caller's.
func ParsePolicy(doc []byte, bucket string) (*Policy, error) {
	if t := bytes.TrimLeft(doc, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errNotJSON
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(doc, &top); err != nil {
		return nil, errNotJSON
	}
	if err := knownFields(top, "Version", "Id", "Statement"); err != nil {
		return nil, err
	}
	if raw, ok := top["Version"]; ok {
		var v string
		if json.Unmarshal(raw, &v) != nil || (v != "2012-10-17" && v != "2008-10-17") {
			return nil, malformed("The policy must contain a valid version string")
		}
	}
	if raw, ok := top["Id"]; ok {
		var id string
		if json.Unmarshal(raw, &id) != nil {
			return nil, malformed("Policy Id must be a string")
		}
	}
	raw, ok := top["Statement"]
	if !ok || isNull(raw) {
		return nil, malformed("Missing required field Statement")
	}
	var list []json.RawMessage
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		list = []json.RawMessage{raw}
	} else if json.Unmarshal(raw, &list) != nil {
		return nil, malformed("Statement must be an object or an array of objects")
	}
	if len(list) == 0 {
		return nil, malformed("Could not parse the policy: Statement is empty!")
	}
	p := &Policy{raw: bytes.Clone(doc)}
	sids := map[string]bool{}
	for _, sraw := range list {
		st, sid, err := parseStatement(sraw, bucket)
		if err != nil {
			return nil, err
		}
		if sid != "" {
			if sids[sid] {
				return nil, malformed("Statement IDs (SID) in a single policy must be unique")
			}
			sids[sid] = true
		}
		p.statements = append(p.statements, st)
	}
	return p, nil
}

// Raw returns the document as submitted, byte for byte.
func (p *Policy) Raw() []byte { return bytes.Clone(p.raw) }

// Evaluate returns Deny if a Deny statement matches r, else Allow if an Allow
// statement matches, else NoOpinion. A nil policy has no opinion.
func (p *Policy) Evaluate(r Request) Decision {
	if p == nil {
		return NoOpinion
	}
	action := strings.ToLower(r.Action)
	d := NoOpinion
	for i := range p.statements {
		s := &p.statements[i]
		if !s.matches(action, &r) {
			continue
		}
		if s.deny {
			return Deny
		}
		d = Allow
	}
	return d
}

func (s *statement) matches(action string, r *Request) bool {
	if s.principals.match(r.Who) == s.notPrincipal {
		return false
	}
	if anyMatch(s.actions, action) == s.notAction {
		return false
	}
	if anyMatch(s.resources, r.Resource) == s.notResource {
		return false
	}
	for i := range s.conditions {
		if !s.conditions[i].matches(r) {
			return false
		}
	}
	return true
}

func (ps principalSet) match(who Requester) bool {
	if ps.any {
		return true
	}
	return !who.Anonymous && who.ID != "" && ps.ids[who.ID]
}

func anyMatch(patterns []string, s string) bool {
	for _, p := range patterns {
		if wildcardMatch(p, s) {
			return true
		}
	}
	return false
}

// wildcardMatch reports whether s matches pattern, where * matches any run
// of characters (including none and "/") and ? exactly one character. It
// backtracks only to the last *, so it is O(len(pattern)*len(s)) at worst.
func wildcardMatch(pattern, s string) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for i < len(s) {
		if p < len(pattern) {
			switch c := pattern[p]; {
			case c == '*':
				starP, starI = p, i
				p++
				continue
			case c == '?':
				_, n := utf8.DecodeRuneInString(s[i:])
				p, i = p+1, i+n
				continue
			case c == s[i]:
				p, i = p+1, i+1
				continue
			}
		}
		if starP < 0 {
			return false
		}
		// Let the last * swallow one more character and retry.
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		p, i = starP+1, starI
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

// ---- parsing ----

func parseStatement(raw json.RawMessage, bucket string) (statement, string, error) {
	var st statement
	var m map[string]json.RawMessage
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) == 0 || t[0] != '{' || json.Unmarshal(raw, &m) != nil {
		return st, "", malformed("Statement must be an object or an array of objects")
	}
	if err := knownFields(m, "Sid", "Effect", "Principal", "NotPrincipal",
		"Action", "NotAction", "Resource", "NotResource", "Condition"); err != nil {
		return st, "", err
	}
	var sid string
	if raw, ok := m["Sid"]; ok && json.Unmarshal(raw, &sid) != nil {
		return st, "", malformed("Statement Sid must be a string")
	}

	raw, ok := m["Effect"]
	if !ok {
		return st, "", malformed("Missing required field Effect")
	}
	var effect string
	if json.Unmarshal(raw, &effect) != nil {
		return st, "", malformed("Invalid effect: " + string(raw))
	}
	switch effect {
	case "Allow":
	case "Deny":
		st.deny = true
	default:
		return st, "", malformed("Invalid effect: " + effect)
	}

	raw, st.notPrincipal, ok = either(m, "Principal", "NotPrincipal")
	if !ok {
		return st, "", malformed("Missing required field Principal")
	}
	var err error
	if raw == nil {
		return st, "", malformed("Statement cannot contain both Principal and NotPrincipal")
	}
	if st.principals, err = parsePrincipal(raw); err != nil {
		return st, "", err
	}

	raw, st.notAction, ok = either(m, "Action", "NotAction")
	if !ok {
		return st, "", malformed("Missing required field Action")
	}
	if raw == nil {
		return st, "", malformed("Statement cannot contain both Action and NotAction")
	}
	actions, ok := stringList(raw)
	if !ok || len(actions) == 0 {
		return st, "", malformed("Policy has invalid action")
	}
	for _, a := range actions {
		a = strings.ToLower(a)
		if a != "*" && (!strings.HasPrefix(a, "s3:") || len(a) == len("s3:")) {
			return st, "", malformed("Policy has invalid action")
		}
		st.actions = append(st.actions, a)
	}

	raw, st.notResource, ok = either(m, "Resource", "NotResource")
	if !ok {
		return st, "", malformed("Missing required field Resource")
	}
	if raw == nil {
		return st, "", malformed("Statement cannot contain both Resource and NotResource")
	}
	resources, ok := stringList(raw)
	if !ok || len(resources) == 0 {
		return st, "", malformed("Policy has invalid resource")
	}
	for _, r := range resources {
		if !validResource(r, bucket) {
			return st, "", malformed("Policy has invalid resource")
		}
	}
	st.resources = resources

	if raw, ok := m["Condition"]; ok {
		if st.conditions, err = parseConditions(raw); err != nil {
			return st, "", err
		}
	}
	return st, sid, nil
}

// either returns the value of field pos or neg (negated=true for neg);
// ok=false when neither is present, raw=nil when both are.
func either(m map[string]json.RawMessage, pos, neg string) (raw json.RawMessage, negated, ok bool) {
	p, hasP := m[pos]
	n, hasN := m[neg]
	switch {
	case hasP && hasN:
		return nil, false, true
	case hasP:
		return p, false, true
	case hasN:
		return n, true, true
	}
	return nil, false, false
}

// validResource: "*" (everything, i.e. this bucket and its objects), the
// bucket ARN, or a pattern under the bucket's objects. The bucket name itself
// may not hold wildcards: another bucket's resources are never valid.
func validResource(r, bucket string) bool {
	if r == "*" {
		return true
	}
	rest, ok := strings.CutPrefix(r, resourcePrefix)
	if !ok || bucket == "" {
		return false
	}
	return rest == bucket || strings.HasPrefix(rest, bucket+"/")
}

var errPrincipal = malformed("Invalid principal in policy")

func parsePrincipal(raw json.RawMessage) (principalSet, error) {
	var ps principalSet
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s != "*" {
			return ps, errPrincipal
		}
		ps.any = true
		return ps, nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ps, errPrincipal
	}
	ps.ids = map[string]bool{}
	for kind, v := range m {
		ids, ok := stringList(v)
		if !ok || len(ids) == 0 {
			return ps, errPrincipal
		}
		for _, id := range ids {
			if id == "" {
				return ps, errPrincipal
			}
			switch kind {
			case "AWS":
				if id == "*" {
					ps.any = true
					continue
				}
				acct, ok := accountID(id)
				if !ok {
					return ps, errPrincipal
				}
				ps.ids[acct] = true
			case "CanonicalUser":
				if id == "*" {
					ps.any = true
					continue
				}
				ps.ids[id] = true
			case "Service", "Federated":
				// Accepted so policies copied from AWS parse; never match.
			default:
				return ps, errPrincipal
			}
		}
	}
	return ps, nil
}

// accountID extracts the account from a bare ID or an IAM/STS ARN
// (arn:<partition>:iam::<id>:root, :user/x, :role/x, ...).
func accountID(s string) (string, bool) {
	if !strings.HasPrefix(s, "arn:") {
		return s, true
	}
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[1] == "" || (f[2] != "iam" && f[2] != "sts") || f[3] != "" || f[4] == "" || f[5] == "" {
		return "", false
	}
	return f[4], true
}

// knownFields rejects the first (in sorted order) field not in allowed.
func knownFields(m map[string]json.RawMessage, allowed ...string) error {
	var unknown []string
	for k := range m {
		if !slices.Contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return malformed("Unknown field " + unknown[0])
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// stringList decodes a string or an array of strings.
func stringList(raw json.RawMessage) ([]string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil && !isNull(raw) {
		return []string{s}, true
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil || isNull(raw) {
		return nil, false
	}
	return list, true
}

// ---- conditions ----

type opKind int

const (
	opStringEquals opKind = iota
	opStringEqualsIgnoreCase
	opStringLike
	opArnLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opBool
	opIPAddress
	opNull
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
)

type operator struct {
	kind    opKind
	negated bool
}

// operators by lower-case name (without IfExists / ForAnyValue: /
// ForAllValues:). ArnEquals is wildcard-aware as ArnLike (IAM: "ARN
// condition operators").
var operators = map[string]operator{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEquals, false},
	"numericnotequals":          {opNumericEquals, true},
	"numericlessthan":           {opNumericLessThan, false},
	"numericlessthanequals":     {opNumericLessThanEquals, false},
	"numericgreaterthan":        {opNumericGreaterThan, false},
	"numericgreaterthanequals":  {opNumericGreaterThanEquals, false},
	"bool":                      {opBool, false},
	"ipaddress":                 {opIPAddress, false},
	"notipaddress":              {opIPAddress, true},
	"null":                      {opNull, false},
	"dateequals":                {opDateEquals, false},
	"datenotequals":             {opDateEquals, true},
	"datelessthan":              {opDateLessThan, false},
	"datelessthanequals":        {opDateLessThanEquals, false},
	"dategreaterthan":           {opDateGreaterThan, false},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false},
	// Binary* compare base64 values; no S3 key is binary, so only the
	// missing-key rules ever apply.
	"binaryequals": {opStringEquals, false},
	"arnequals":    {opArnLike, false},
	"arnlike":      {opArnLike, false},
	"arnnotequals": {opArnLike, true},
	"arnnotlike":   {opArnLike, true},
}

type setOp int

const (
	setNone setOp = iota
	setForAnyValue
	setForAllValues
)

type condition struct {
	operator
	ifExists bool
	set      setOp
	key      string   // lower-case
	values   []string // strings; Bool: "true"/"false"
	numbers  []float64
	prefixes []netip.Prefix
}

func parseConditions(raw json.RawMessage) ([]condition, error) {
	var ops map[string]json.RawMessage
	if json.Unmarshal(raw, &ops) != nil || isNull(raw) {
		return nil, malformed("Policy has an invalid condition")
	}
	var out []condition
	for _, name := range sortedKeys(ops) {
		op, set, ifExists, ok := parseOperator(name)
		if !ok {
			return nil, malformed("Invalid Condition type : " + name)
		}
		var keys map[string]json.RawMessage
		if json.Unmarshal(ops[name], &keys) != nil || isNull(ops[name]) {
			return nil, malformed("Policy has an invalid condition")
		}
		for _, key := range sortedKeys(keys) {
			if key == "" {
				return nil, malformed("Policy has an invalid condition key")
			}
			values, ok := conditionValues(keys[key])
			if !ok {
				return nil, malformed("Invalid Condition value for " + name + " : " + key)
			}
			c := condition{operator: op, ifExists: ifExists, set: set, key: strings.ToLower(key)}
			if err := c.setValues(values); err != nil {
				return nil, malformed(err.Error() + " for " + name + " : " + key)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" into its parts,
// case-insensitively. Null takes neither IfExists nor a set prefix.
func parseOperator(name string) (op operator, set setOp, ifExists, ok bool) {
	n := strings.ToLower(name)
	if rest, cut := strings.CutPrefix(n, "foranyvalue:"); cut {
		n, set = rest, setForAnyValue
	} else if rest, cut := strings.CutPrefix(n, "forallvalues:"); cut {
		n, set = rest, setForAllValues
	}
	n, ifExists = strings.CutSuffix(n, "ifexists")
	op, ok = operators[n]
	if ok && op.kind == opNull && (ifExists || set != setNone) {
		ok = false
	}
	return op, set, ifExists, ok
}

type valueError string

func (e valueError) Error() string { return string(e) }

// setValues validates and pre-parses the policy's values for c's operator.
func (c *condition) setValues(values []string) error {
	switch c.kind {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		for _, v := range values {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return valueError("Invalid numeric value " + strconv.Quote(v))
			}
			c.numbers = append(c.numbers, f)
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		for _, v := range values {
			t, ok := parseDate(v)
			if !ok {
				return valueError("Invalid date value " + strconv.Quote(v))
			}
			c.numbers = append(c.numbers, epochSeconds(t))
		}
	case opBool, opNull:
		for _, v := range values {
			v = strings.ToLower(v)
			if v != "true" && v != "false" {
				return valueError("Invalid boolean value " + strconv.Quote(v))
			}
			c.values = append(c.values, v)
		}
	case opIPAddress:
		for _, v := range values {
			p, ok := parseIPPrefix(v)
			if !ok {
				return valueError("Invalid IP address or CIDR " + strconv.Quote(v))
			}
			c.prefixes = append(c.prefixes, p)
		}
	default:
		c.values = values
	}
	return nil
}

// dateLayouts are the ISO 8601 forms IAM accepts in Date* conditions.
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04Z0700",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseDate reads an ISO 8601 date-time (UTC when it names no zone) or
// epoch seconds.
func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), true
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// arnMatch is IAM's ArnLike (and ArnEquals, which behaves the same): the
// six colon-separated parts of the ARN are matched one by one, each with
// * and ? wildcards that do not cross a colon between parts; the last
// part (the resource) may itself hold colons.
func arnMatch(pattern, arn string) bool {
	pp, ap := strings.SplitN(pattern, ":", 6), strings.SplitN(arn, ":", 6)
	if len(pp) != 6 || len(ap) != 6 {
		return false
	}
	for i := range pp {
		if !wildcardMatch(pp[i], ap[i]) {
			return false
		}
	}
	return true
}

// epochSeconds is t as seconds since the epoch, the scale Date* compare
// on (a float keeps fractions; UnixNano would overflow after 2262).
func epochSeconds(t time.Time) float64 {
	return float64(t.Unix()) + float64(t.Nanosecond())/1e9
}

// parseIPPrefix accepts a CIDR or a bare address (a /32 or /128), IPv4 or
// IPv6; IPv4-mapped IPv6 is turned into IPv4.
func parseIPPrefix(s string) (netip.Prefix, bool) {
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p.Masked(), p.IsValid()
}

// conditionValues decodes a condition value: a string, bool or number, or
// an array of them (numbers keep their JSON spelling).
func conditionValues(raw json.RawMessage) ([]string, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return nil, false
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := scalarString(e)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	s, ok := scalarString(v)
	return []string{s}, ok
}

func scalarString(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case bool:
		return strconv.FormatBool(v), true
	case json.Number:
		return v.String(), true
	}
	return "", false
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lookupKey returns the request's value for a lower-case condition key.
func lookupKey(r *Request, key string) (string, bool) {
	switch key {
	case "aws:sourceip":
		if r.SourceIP != nil {
			if a, ok := netip.AddrFromSlice(r.SourceIP); ok {
				return a.Unmap().String(), true
			}
		}
	case "aws:securetransport":
		return strconv.FormatBool(r.Secure), true
	case "aws:currenttime":
		if !r.Time.IsZero() {
			return r.Time.UTC().Format(time.RFC3339), true
		}
	case "aws:epochtime":
		if !r.Time.IsZero() {
			return strconv.FormatInt(r.Time.Unix(), 10), true
		}
	case "aws:principalarn":
		if !r.Who.Anonymous && r.Who.ID != "" {
			// Accounts sign as their root user.
			return "arn:aws:iam::" + r.Who.ID + ":root", true
		}
	case "aws:principaltype":
		if r.Who.Anonymous || r.Who.ID == "" {
			return "Anonymous", true
		}
		return "Account", true
	}
	v, ok := r.Context[key]
	return v, ok
}

func (c *condition) matches(r *Request) bool {
	if values, ok := r.Multi[c.key]; ok && len(values) > 0 {
		return c.matchesSet(values)
	}
	v, present := lookupKey(r, c.key)
	if c.kind == opNull {
		// "Null": {"k": "true"} holds when k is missing, "false" when present.
		for _, want := range c.values {
			if (want == "true") != present {
				return true
			}
		}
		return false
	}
	if !present {
		switch {
		case c.set == setForAnyValue:
			return false
		case c.set == setForAllValues:
			return true
		}
		return c.ifExists || c.negated
	}
	hit, usable := c.test(v)
	if !usable {
		return false
	}
	return hit != c.negated
}

// test reports whether v matches any of the policy values (the positive
// form of the operator); usable=false when v has the wrong type.
func (c *condition) test(v string) (hit, usable bool) {
	switch c.kind {
	case opStringEquals:
		return slices.Contains(c.values, v), true
	case opStringEqualsIgnoreCase:
		return slices.ContainsFunc(c.values, func(p string) bool { return strings.EqualFold(p, v) }), true
	case opArnLike:
		return slices.ContainsFunc(c.values, func(p string) bool { return arnMatch(p, v) }), true
	case opStringLike:
		return anyMatch(c.values, v), true
	case opBool:
		return slices.ContainsFunc(c.values, func(p string) bool { return strings.EqualFold(p, v) }), true
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false, false
		}
		a = a.Unmap()
		return slices.ContainsFunc(c.prefixes, func(p netip.Prefix) bool { return p.Contains(a) }), true
	}
	var f float64
	switch c.kind {
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false, false
		}
		f = epochSeconds(t)
	default:
		var err error
		if f, err = strconv.ParseFloat(v, 64); err != nil || math.IsNaN(f) {
			return false, false
		}
	}
	return slices.ContainsFunc(c.numbers, func(n float64) bool {
		switch c.kind {
		case opNumericLessThan, opDateLessThan:
			return f < n
		case opNumericLessThanEquals, opDateLessThanEquals:
			return f <= n
		case opNumericGreaterThan, opDateGreaterThan:
			return f > n
		case opNumericGreaterThanEquals, opDateGreaterThanEquals:
			return f >= n
		}
		return f == n
	}), true
}
