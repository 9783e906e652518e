package s3err

import "fmt"

// Text is one of AWS's messages for a code, for the cases where S3 answers
// a code with a text other than the code's default. Format may hold fmt
// verbs for the request-specific parts AWS fills in (an algorithm, a part
// number); Message fills them.
type Text struct {
	Code   Code
	Format string
}

// Message is the text with args filled in.
func (t Text) Message(args ...any) string {
	if len(args) == 0 {
		return t.Format
	}
	return fmt.Sprintf(t.Format, args...)
}
