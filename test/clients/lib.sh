# Shared by the client scenario scripts: PASS/FAIL counting and the checks
# they run. Source it after setting STEP_TIMEOUT; end the script with
# `summary`, which prints the "N passed, M failed" line run.sh reads.

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }

# check NAME CMD... : runs CMD (bounded in time), PASS/FAIL with its output on failure.
check() {
	local name="$1" out rc
	shift
	# bash -c so that CMD may be one of the exported helper functions.
	out="$(timeout "${STEP_TIMEOUT:-300}" bash -c '"$@"' bash "$@" 2>&1)"
	rc=$?
	if [ $rc -eq 0 ]; then
		pass "$name"
	else
		fail "$name (exit $rc)"
		printf '%s\n' "$out" | tail -n 25 | sed 's/^/    /'
	fi
	return $rc
}

# expect_output NEEDLE CMD... : CMD succeeds and its output contains NEEDLE.
expect_output() {
	local needle="$1" out
	shift
	out="$("$@" 2>&1)" || {
		printf '%s\n' "$out"
		return 1
	}
	if ! grep -qF -- "$needle" <<<"$out"; then
		printf 'output lacks %q:\n%s\n' "$needle" "$out"
		return 1
	fi
}
export -f expect_output
