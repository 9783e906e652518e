//go:build race

package cloudstack

// raceEnabled builds the server with -race as well.
const raceEnabled = true
