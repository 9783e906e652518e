//go:build !race

package cloudstack

const raceEnabled = false
