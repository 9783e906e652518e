//go:build race

package testserver

// Race reports that the tests run with -race, so the server is built with
// it too.
const Race = true
