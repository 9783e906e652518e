package access

import "strings"

// Public access (Amazon S3 User Guide, "Blocking public access to your
// Amazon S3 storage", "The meaning of public"; the same text in the API
// Reference's PublicAccessBlockConfiguration).

// IsPublic reports whether the policy is public as S3 defines it: some
// Allow statement grants a "bad action" (one that could expose the
// bucket's data: s3:Get*, s3:List*, s3:AbortMultipartUpload, s3:Delete*,
// s3:Put*, s3:RestoreObject) to everyone ("*", or NotPrincipal) without
// a condition that limits it to a set of CIDRs (aws:SourceIp) or to a
// fixed value of aws:SourceArn, aws:SourceVpc, aws:SourceVpce,
// aws:SourceOwner, aws:SourceAccount,
// s3:x-amz-server-side-encryption-aws-kms-key-id or aws:userid (outside
// the pattern "AROLEID:*"). A nil policy is not public.
func (p *Policy) IsPublic() bool {
	if p == nil {
		return false
	}
	for i := range p.statements {
		s := &p.statements[i]
		if s.deny || !(s.principals.any || s.notPrincipal) || !s.grantsBadAction() || s.fixed() {
			continue
		}
		return true
	}
	return false
}

// badActions are the lower-case patterns of the actions that make a
// grant to everyone public.
var badActions = []string{"s3:get*", "s3:list*", "s3:abortmultipartupload", "s3:delete*", "s3:put*", "s3:restoreobject"}

// grantsBadAction reports whether the statement's actions reach a bad
// action: a pattern that overlaps one (s3:*, s3:Get*, s3:GetObject, *),
// or NotAction (which grants everything it does not name).
func (s *statement) grantsBadAction() bool {
	if s.notAction {
		return true
	}
	for _, a := range s.actions {
		for _, bad := range badActions {
			if patternsOverlap(a, bad) {
				return true
			}
		}
	}
	return false
}

// patternsOverlap reports whether some action matches both patterns,
// where only a trailing '*' is a wildcard in bad (and '*' or '?'
// anywhere in a): it is enough to compare up to the first wildcard.
func patternsOverlap(a, bad string) bool {
	badPrefix, badWild := strings.CutSuffix(bad, "*")
	i := strings.IndexAny(a, "*?")
	if i < 0 {
		if badWild {
			return strings.HasPrefix(a, badPrefix)
		}
		return a == badPrefix
	}
	aPrefix := a[:i]
	return strings.HasPrefix(badPrefix, aPrefix) || (badWild && strings.HasPrefix(aPrefix, badPrefix))
}

// fixingKeys are the condition keys whose fixed value makes a grant to
// everyone non-public (lower-case).
var fixingKeys = map[string]bool{
	"aws:sourcearn": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:sourceowner": true,
	"aws:sourceaccount": true, "s3:x-amz-server-side-encryption-aws-kms-key-id": true, "aws:userid": true,
}

// fixed reports whether one of the statement's conditions limits it to
// a set of CIDRs or to fixed values of a fixing key.
func (s *statement) fixed() bool {
	for i := range s.conditions {
		c := &s.conditions[i]
		if c.negated || c.ifExists || c.set == setForAllValues {
			continue
		}
		switch {
		case c.key == "aws:sourceip" && c.kind == opIPAddress:
			if len(c.prefixes) > 0 && !anyAllAddresses(c) {
				return true
			}
		case fixingKeys[c.key] && (c.kind == opStringEquals || c.kind == opStringEqualsIgnoreCase || c.kind == opStringLike || c.kind == opArnLike):
			if len(c.values) > 0 && !anyWildcardValue(c) {
				return true
			}
		}
	}
	return false
}

func anyAllAddresses(c *condition) bool {
	for _, p := range c.prefixes {
		if p.Bits() == 0 {
			return true
		}
	}
	return false
}

func anyWildcardValue(c *condition) bool {
	for _, v := range c.values {
		if strings.ContainsAny(v, "*?") && (c.kind == opStringLike || c.kind == opArnLike) {
			return true
		}
		if c.key == "aws:userid" && strings.HasSuffix(v, ":*") {
			return true
		}
	}
	return false
}
