// Package access decides who may do what to a bucket or object: S3 access
// control lists (canned, header grants and XML), bucket policies and CORS
// rules. It is pure (no I/O, no Caddy) so every rule is unit-testable; the
// caddys3 handler loads the documents from the store and asks it.
//
// The pieces:
//   - acl.go:    ACL, Grant, Grantee; Canned, FromHeaders, ParseACL, (ACL).XML,
//     (ACL).Allows.
//   - policy.go: Policy; ParsePolicy, (*Policy).Evaluate with Request.
//   - cors.go:   CORSConfig; ParseCORS, (*CORSConfig).XML, (*CORSConfig).Match.
package access

import (
	"errors"

	"github.com/caddys3/caddys3/s3err"
)

// Error is a client error with the S3 error code to answer and a message.
// Every parse error of this package is an *Error.
type Error struct {
	Code    s3err.Code // the S3 error code to answer
	Message string
	// ArgumentName and ArgumentValue, when ArgumentName is set, are the
	// elements S3 adds to an InvalidArgument error to name what it refused.
	ArgumentName, ArgumentValue string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func errorf(code s3err.Code, msg string) error { return &Error{Code: code, Message: msg} }

// textError is one of AWS's texts as an *Error.
func textError(t s3err.Text, args ...any) *Error {
	return &Error{Code: t.Code, Message: t.Message(args...)}
}

// argError is t naming the argument it refuses.
func argError(t s3err.Text, name, value string) *Error {
	e := textError(t)
	e.ArgumentName, e.ArgumentValue = name, value
	return e
}

// IsError reports whether err is an *Error and returns it.
func IsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Requester is who asks: an account's canonical ID, or anonymous.
type Requester struct {
	// ID is the canonical user ID (CloudStack: the account UUID; static
	// keys: their configured owner). Empty for anonymous requests.
	ID        string
	Anonymous bool
}

// Permission is an ACL permission.
type Permission string

const (
	PermRead        Permission = "READ"
	PermWrite       Permission = "WRITE"
	PermReadACP     Permission = "READ_ACP"
	PermWriteACP    Permission = "WRITE_ACP"
	PermFullControl Permission = "FULL_CONTROL"
)

// Group URIs S3 uses as grantees.
const (
	AllUsersURI           = "http://acs.amazonaws.com/groups/global/AllUsers"
	AuthenticatedUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
)

// Decision is the outcome of a bucket policy evaluation.
type Decision int

const (
	// NoOpinion: no statement matched; ACLs and ownership decide.
	NoOpinion Decision = iota
	// Allow: an Allow statement matched and no Deny did.
	Allow
	// Deny: a Deny statement matched; it wins over everything.
	Deny
)
